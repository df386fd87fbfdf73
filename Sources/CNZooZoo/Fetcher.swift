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
        do {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw CNZooError(.io, "cannot create the directory", file: dir, cause: error)
        }
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
                    rangeNotSatisfiable = true
                    return .reject(CNZooError(.network, "range not satisfiable"))
                default:
                    return .reject(CNZooError(.network, "HTTP \(http.statusCode) "
                        + "\(HTTPURLResponse.localizedString(forStatusCode: http.statusCode)) for \(url.absoluteString)"))
                }
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
        } catch let e as CNZooError where rangeNotSatisfiable && e.message == "range not satisfiable" {
            // The `.part` may already hold the whole file (the earlier run was cut after the last byte): check it.
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
        let digest = sink.finalizeDigest()
        guard expected.isSatisfied(by: digest) else {
            keepPart = false
            throw CNZooError(.integrity, "sha256 mismatch for \(url.absoluteString): expected \(expected.description), "
                             + "got \(digest); the download was deleted", file: destination)
        }
        try sink.commit(to: destination)
        return Result(path: destination, bytes: sink.size, sha256: digest, resumedFrom: resumedFrom,
                      alreadyPresent: false)
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

/// The `.part` file: append-only, hashed as it grows, renamed into place when verified.
private final class PartialFile {
    let path: String
    private var fd: Int32
    private var hasher = SHA256()
    private(set) var size: Int64 = 0

    /// Opens (creating) `path`; existing bytes are hashed so a resumed download verifies the whole file.
    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PartialFile.error("cannot open", path) }
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw PartialFile.error("cannot read", path)
            }
            if n == 0 { break }
            buf.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            size += Int64(n)
        }
    }

    /// Drops what was there (the server sent the whole file instead of the asked range).
    func restart() throws {
        guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else { throw PartialFile.error("cannot truncate", path) }
        hasher = SHA256()
        size = 0
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
            hasher.update(buf)
        }
        size += Int64(data.count)
    }

    func finalizeDigest() -> String { hasher.finalizeHex() }

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

    func close() {
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
