#!/usr/bin/env python3
"""A small HTTP/1.1 file server for cnzoo's fetch tests (stdlib only, loopback only).

Serves files from --root with single byte-range support (206 + Content-Range, 416 past the end) and a few
misbehaviours the tests need:
  /files/NAME      the file, honouring Range
  /cut-once/NAME   the first full (non-Range) request sends the headers with the full Content-Length, then only
                   --cut-at bytes, then drops the connection; later requests behave like /files/NAME
  /no-range/NAME   the file, ignoring Range (always 200 + the whole body)
  /redirect/NAME   302 to /files/NAME (release hosts such as GitHub redirect to a storage host)
  /OWNER/REPO/resolve/REVISION/NAME   like /files/NAME (the Hugging Face Hub's download route)
  anything else    404
The chosen port is printed as 'PORT <n>' on the first line of stdout. The server exits by itself after --lifetime
seconds so a crashed test cannot leave it running.

Usage: python3 scripts/test-http-server.py --root DIR [--port 0] [--cut-at BYTES] [--lifetime SECONDS]
"""
import argparse
import http.server
import os
import re
import signal
import sys
import threading

args = None
cut_done = set()
cut_lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):  # keep test output quiet; errors still go to stderr
        pass

    def do_GET(self):
        m = re.fullmatch(r"/(files|cut-once|no-range|redirect|[A-Za-z0-9._-]+/[A-Za-z0-9._-]+/resolve/[A-Za-z0-9._-]+)"
                         r"/([A-Za-z0-9._-]+)", self.path)
        path = os.path.join(args.root, m.group(2)) if m else None
        if not m or not os.path.isfile(path):
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        mode = m.group(1)
        if mode == "redirect":
            self.send_response(302)
            self.send_header("Location", f"/files/{m.group(2)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with open(path, "rb") as f:
            data = f.read()
        size = len(data)
        rng = self.headers.get("Range") if mode != "no-range" else None
        if mode == "cut-once" and rng is None:
            with cut_lock:
                first = path not in cut_done
                cut_done.add(path)
            if first:
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(size))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                self.wfile.write(data[: args.cut_at])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
        if rng:
            rm = re.fullmatch(r"bytes=(\d+)-(\d*)", rng.strip())
            if not rm:
                self.send_error(400, "bad range")
                return
            start = int(rm.group(1))
            end = int(rm.group(2)) if rm.group(2) else size - 1
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            end = min(end, size - 1)
            self.send_response(206)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.send_header("Content-Length", str(end - start + 1))
            self.end_headers()
            self.wfile.write(data[start: end + 1])
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self.wfile.write(data)


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--cut-at", type=int, default=100_000)
    p.add_argument("--lifetime", type=float, default=120)
    args = p.parse_args()
    # A test runner may start us with SIGTERM blocked; make sure a plain kill stops us.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    timer = threading.Timer(args.lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    server.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()
