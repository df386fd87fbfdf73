import CNZooTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `scripts/test-http-server.py` on 127.0.0.1, serving a scratch directory; stopped by `stop()` (and by itself after
/// its lifetime, so a crashed test leaves nothing running).
final class LoopbackServer {
    let process = Process()
    let port: Int
    let root: String

    /// Starts the server and waits (at most 10 s) for it to print its port.
    init(root: String, cutAt: Int, lifetime: Int = 120) throws {
        self.root = root
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", TestSupport.packageRoot.appendingPathComponent("scripts/test-http-server.py").path,
                             "--root", root, "--port", "0", "--cut-at", String(cutAt), "--lifetime", String(lifetime)]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.standardError
        try process.run()
        let reader = out.fileHandleForReading
        final class Box: @unchecked Sendable { var line = "" }
        let box = Box()
        let got = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            var bytes = [UInt8]()
            while true {
                let d = reader.readData(ofLength: 1)
                if d.isEmpty || d.first == UInt8(ascii: "\n") { break }
                bytes.append(contentsOf: d)
            }
            box.line = String(decoding: bytes, as: UTF8.self)
            got.signal()
        }
        guard got.wait(timeout: .now() + 10) == .success, box.line.hasPrefix("PORT "),
              let p = Int(box.line.dropFirst(5)) else {
            process.terminate()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "test server did not start: '\(box.line)'"])
        }
        port = p
    }

    var base: String { "http://127.0.0.1:\(port)" }

    /// Kills the server (SIGKILL: the test runner may have SIGTERM blocked, and a spawned child inherits that).
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
