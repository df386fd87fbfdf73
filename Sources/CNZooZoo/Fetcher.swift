import CNZooCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Downloads one file over HTTP(S) into place, verified:
///
/// 1. bytes stream into `<destination>.part` and through SHA-256 as they arrive;
/// 2. an existing `.part` (an interrupted earlier run) is hashed and resumed with a `Range` request — a server that
///    answers the whole file instead restarts it cleanly;
/// 3. at the end the digest is compared with the published hash (full, or the prefix a release uses); a mismatch
///    deletes the `.part` and reports expected vs actual;
/// 4. a verified file is fsync'd and renamed onto `destination`, so the destination only ever holds a complete,
///    verified file.
///
/// A transport failure after some bytes arrived keeps the `.part` for the next run; one before any byte arrived
/// leaves nothing behind.
public struct Fetcher: Sendable {
    /// Progress: bytes present so far, total expected (nil when the server does not say).
    public typealias Progress = (_ done: Int64, _ total: Int64?) -> Void

    /// Seconds without any byte before a transfer is given up.
    public var idleTimeout: TimeInterval

    public init(idleTimeout: TimeInterval = 60) { self.idleTimeout = idleTimeout }

    /// The outcome of `fetch`.
    public struct Result: Sendable {
        /// The final path.
        public let path: String
        /// File size.
        public let bytes: Int64
        /// Full SHA-256 of the file (lowercase hex).
        public let sha256: String
        /// Bytes that were already present in a `.part` and not downloaded again.
        public let resumedFrom: Int64
        /// The file was already in place and verified; nothing was downloaded.
        public let alreadyPresent: Bool
    }

    /// The partial-download path for `destination`.
    public static func partialPath(for destination: String) -> String { destination + ".part" }

    /// Downloads `url` to `destination`, checked against `expected`.
    public func fetch(_ url: URL, to destination: String, expected: HashExpectation,
                      progress: Progress? = nil) throws -> Result {
        let fm = FileManager.default
        let dir = (destination as NSString).deletingLastPathComponent
        let created = try Fetcher.createDirectories(dir)
        var placed = false
        // Declared before the `.part` clean-up below, so it runs after it: a failed fetch leaves no empty folders.
        defer { if !placed { Fetcher.removeIfEmpty(created) } }
        if fm.fileExists(atPath: destination) {
            let digest = try SHA256.hash(file: destination)
            if expected.isSatisfied(by: digest) {
                let size = (try? fm.attributesOfItem(atPath: destination)[.size] as? NSNumber)?.int64Value ?? 0
                return Result(path: destination, bytes: size, sha256: digest, resumedFrom: 0, alreadyPresent: true)
            }
            throw CNZooError(.integrity, "a file is already there but its sha256 is \(digest), expected "
                             + "\(expected.description); remove it and fetch again", file: destination)
        }

        let part = Fetcher.partialPath(for: destination)
        let sink = try PartialFile(path: part)
        var keepPart = true
        defer {
            sink.close()
            if !keepPart { unlink(part) }
        }
        let resumedFrom = sink.size
        var headers: [String: String] = [:]
        if resumedFrom > 0 { headers["Range"] = "bytes=\(resumedFrom)-" }

        var total: Int64?
        var lastReport = DispatchTime.now().uptimeNanoseconds
        var rangeNotSatisfiable = false
        do {
            try HTTPStream.get(url, headers: headers, idleTimeout: idleTimeout, onHead: { http in
                switch http.statusCode {
                case 206 where resumedFrom > 0:
                    guard let range = http.value(forHTTPHeaderField: "Content-Range"),
                          let (start, length) = Fetcher.parseContentRange(range), start == resumedFrom else {
                        return .reject(CNZooError(.network, "the server answered the resume request with an "
                                                  + "unexpected Content-Range; the partial download is kept", file: part))
                    }
                    total = length
                case 200:
                    do { try sink.restart() } catch let e as CNZooError { return .reject(e) } catch {
                        return .reject(CNZooError.wrap(error, file: part))
                    }
                    total = http.expectedContentLength >= 0 ? http.expectedContentLength : nil
                case 416 where resumedFrom > 0:
                    // Nothing after the bytes we have: the `.part` may already be the whole file (checked below).
                    rangeNotSatisfiable = true
                    return .reject(CNZooError(.network, "HTTP 416 for the resume request"))
                default:
                    return .reject(CNZooError(.network, "HTTP \(http.statusCode) "
                        + "\(HTTPURLResponse.localizedString(forStatusCode: http.statusCode)) for \(url.absoluteString)"))
                }
                sink.startHashing()
                progress?(sink.size, total)
                return .accept
            }, onChunk: { data in
                try sink.append(data)
                let now = DispatchTime.now().uptimeNanoseconds
                if now - lastReport > 100_000_000 {
                    lastReport = now
                    progress?(sink.size, total)
                }
            })
        } catch where rangeNotSatisfiable {
            total = sink.size
        } catch var e as CNZooError {
            if sink.size == 0 {
                keepPart = false
            } else if e.code == .network {
                e.message += "; \(sink.size) bytes kept in \(part), run the same command again to resume"
            }
            throw e
        }
        progress?(sink.size, total)

        if let total, sink.size != total {
            throw CNZooError(.network, "the server sent \(sink.size) of \(total) bytes; the partial download is kept "
                             + "in \(part), run the same command again to resume", file: url.absoluteString)
        }
        let digest = try sink.finalizeDigest()
        guard expected.isSatisfied(by: digest) else {
            keepPart = false
            throw CNZooError(.integrity, "sha256 mismatch for \(url.absoluteString): expected \(expected.description), "
                             + "got \(digest); the download was deleted", file: destination)
        }
        try sink.commit(to: destination)
        placed = true
        return Result(path: destination, bytes: sink.size, sha256: digest, resumedFrom: resumedFrom,
                      alreadyPresent: false)
    }

    /// Downloads every file of a Hub model folder into `dir` (each one verified, resumable and renamed into place as
    /// `fetch` does; a file already there and verified is kept). Refuses before downloading anything when a file has
    /// no published sha256 and `allowUnverified` is false. Returns one result per file, in `hub.files` order.
    public func fetchFolder(_ hub: ZooHubFolder, to dir: String, allowUnverified: Bool,
                            progress: ((_ file: String, _ done: Int64, _ total: Int64?) -> Void)? = nil) throws -> [Result] {
        let unverified = hub.files.filter { $0.sha256 == nil }.map(\.name)
        guard unverified.isEmpty || allowUnverified else {
            throw CNZooError(.usage, "\(hub.repo) publishes no sha256 for \(unverified.joined(separator: ", ")), so the "
                             + "download cannot be verified; pass --allow-unverified to fetch it anyway")
        }
        return try hub.files.map { f in
            guard let url = URL(string: hub.url(of: f.name)) else {
                throw CNZooError(.usage, "not a valid address: \(hub.url(of: f.name))")
            }
            return try fetch(url, to: (dir as NSString).appendingPathComponent(f.name), expected: f.hashExpectation,
                             progress: { done, total in progress?(f.name, done, total) })
        }
    }

    /// Creates `dir` and any missing parents; returns the directories it created, outermost first.
    static func createDirectories(_ dir: String) throws -> [String] {
        var missing: [String] = []
        var d = dir
        while !d.isEmpty && d != "/" && !FileManager.default.fileExists(atPath: d) {
            missing.insert(d, at: 0)
            d = (d as NSString).deletingLastPathComponent
        }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw CNZooError(.io, "cannot create the directory", file: dir, cause: error)
        }
        return missing
    }

    /// Removes `created` (outermost first, as `createDirectories` returns them) innermost first, each only while
    /// empty: what a failed fetch made and left nothing in.
    static func removeIfEmpty(_ created: [String]) {
        for d in created.reversed() where rmdir(d) != 0 { return }
    }

    /// Parses `bytes START-END/LENGTH` into (START, LENGTH); nil if malformed or LENGTH is unknown (`*`).
    static func parseContentRange(_ value: String) -> (Int64, Int64)? {
        let v = value.trimmingCharacters(in: .whitespaces)
        guard v.lowercased().hasPrefix("bytes ") else { return nil }
        let rest = v.dropFirst(6)
        let parts = rest.split(separator: "/")
        guard parts.count == 2, let length = Int64(parts[1]) else { return nil }
        let range = parts[0].split(separator: "-")
        guard range.count == 2, let start = Int64(range[0]), let end = Int64(range[1]), start <= end, end < length
        else { return nil }
        return (start, length)
    }
}

/// The `.part` file: appended to by the transfer, hashed by a background thread that follows it as it grows.
///
/// The transfer's delegate only writes (fast), and the hasher reads the bytes back from the file (page cache): the
/// network is never held up by hashing, and no downloaded bytes wait in memory for the hasher — memory stays
/// bounded whatever the relative speeds. (Foundation's URLSession has no flow control on Linux: a delegate slower
/// than the network makes it queue chunks in memory.)
private final class PartialFile: @unchecked Sendable {
    let path: String
    private var fd: Int32
    private let state = NSCondition()
    /// Bytes in the file (guarded by `state`).
    private var written: Int64 = 0
    private var finished = false
    private var hashing = false
    private var digest: String?
    private var hashError: CNZooError?
    private let hasherDone = DispatchSemaphore(value: 0)

    /// Opens (creating) `path`, positioned at its end: existing bytes are an earlier partial download.
    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PartialFile.error("cannot open", path) }
        // Two fetches appending to one `.part` would interleave their bytes: the second one stops here.
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let e = busy ? CNZooError(.io, "another cnzoo fetch is downloading into \(path); wait for it to finish",
                                      file: path)
                         : PartialFile.error("cannot lock", path)
            Glibc.close(fd)
            fd = -1
            throw e
        }
        let end = lseek(fd, 0, SEEK_END)
        guard end >= 0 else { throw PartialFile.error("cannot seek", path) }
        written = Int64(end)
    }

    /// Bytes in the file.
    var size: Int64 {
        state.lock()
        defer { state.unlock() }
        return written
    }

    /// Drops what was there (the server sent the whole file instead of the asked range). Only before `startHashing`.
    func restart() throws {
        guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else { throw PartialFile.error("cannot truncate", path) }
        state.lock()
        written = 0
        state.unlock()
    }

    /// Starts hashing from the first byte, following the file as it grows, until `finalizeDigest`.
    func startHashing() {
        state.lock()
        defer { state.unlock() }
        guard !hashing else { return }
        hashing = true
        let t = Thread { [self] in hashLoop() }
        t.name = "cnzoo-sha256"
        t.start()
    }

    private func hashLoop() {
        var hasher = SHA256()
        var offset: Int64 = 0
        let chunk = 4 << 20
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
        defer {
            buf.deallocate()
            hasherDone.signal()
        }
        while true {
            state.lock()
            while offset == written && !finished { state.wait() }
            let available = written - offset
            let done = finished && available == 0
            state.unlock()
            if done { break }
            let want = Int(min(Int64(chunk), available))
            let n = pread(fd, buf.baseAddress, want, off_t(offset))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                state.lock()
                hashError = PartialFile.error("cannot read back", path)
                state.unlock()
                return
            }
            hasher.update(UnsafeRawBufferPointer(rebasing: buf[0..<n]))
            offset += Int64(n)
        }
        let hex = hasher.finalizeHex()
        state.lock()
        digest = hex
        state.unlock()
    }

    func append(_ data: Data) throws {
        try data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) in
            var off = 0
            while off < buf.count {
                let n = write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw PartialFile.error("cannot write", path)
                }
                off += n
            }
        }
        state.lock()
        written += Int64(data.count)
        state.signal()
        state.unlock()
    }

    /// Waits for the hasher to reach the end of the file and returns the SHA-256 of all of it.
    func finalizeDigest() throws -> String {
        startHashing()
        stopHasher()
        state.lock()
        defer { state.unlock() }
        if let hashError { throw hashError }
        return digest ?? ""
    }

    private func stopHasher() {
        state.lock()
        let wasHashing = hashing && !finished
        finished = true
        state.signal()
        state.unlock()
        if wasHashing { hasherDone.wait() }
    }

    /// fsyncs, renames onto `destination` and fsyncs the directory.
    func commit(to destination: String) throws {
        guard fsync(fd) == 0 else { throw PartialFile.error("fsync failed for", path) }
        close()
        guard rename(path, destination) == 0 else { throw PartialFile.error("cannot rename into place", destination) }
        let dir = open((destination as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            Glibc.close(dir)
        }
    }

    /// Stops the hasher and closes the file (kept on disk for a later resume unless the caller removes it).
    func close() {
        stopHasher()
        if fd >= 0 {
            fsync(fd)
            Glibc.close(fd)
            fd = -1
        }
    }

    deinit { close() }

    static func error(_ what: String, _ path: String) -> CNZooError {
        CNZooError(.io, "\(what) \(path): \(String(cString: strerror(errno)))", file: path)
    }
}
