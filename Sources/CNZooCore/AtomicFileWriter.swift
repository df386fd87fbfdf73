import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@_silgen_name("copy_file_range")
private func cnzoo_copy_file_range(_ fdIn: Int32, _ offIn: UnsafeMutablePointer<Int64>?, _ fdOut: Int32,
                                   _ offOut: UnsafeMutablePointer<Int64>?, _ len: Int, _ flags: UInt32) -> Int

/// Writes a file atomically: bytes go to a temporary file in the target's directory, which is fsync'd and renamed
/// over the target only on `commit()`. Until then the target path is untouched; `abort()` (or deinit without a
/// commit) removes the temporary file. A kill -9 leaves at most a `.cnzoo-tmp-*` file, never a partial target.
///
/// Small writes are buffered; large ones go straight to `write(2)`.
///
/// A stream target is written in place, as it comes, with nothing to rename: `-` (standard output, refused when it
/// is a terminal) and an existing character device or FIFO (`/dev/null`, a named pipe, `/dev/stdout`). A failure
/// part-way leaves what was already sent (a stream cannot be taken back); the reader sees a truncated file.
public final class AtomicFileWriter {
    /// The path that means standard output.
    public static let standardOutput = "-"
    /// The final path.
    public let path: String
    /// The temporary path being written (the target itself for a stream).
    public let temporaryPath: String
    /// Whether the target is a stream (standard output, a character device, a FIFO), written in place.
    public let isStream: Bool
    /// Bytes written so far.
    public private(set) var bytesWritten: Int = 0

    private var fd: Int32
    private var buffer: UnsafeMutableRawBufferPointer
    private var buffered = 0
    private var finished = false

    /// Every temporary file currently open in this process (for signal-time cleanup).
    nonisolated(unsafe) private static var live: Set<String> = []
    nonisolated(unsafe) private static var liveLock = pthread_mutex_t()
    nonisolated(unsafe) private static var lockReady: Bool = {
        pthread_mutex_init(&liveLock, nil)
        return true
    }()

    /// Whether `path` is a stream target: `-`, or an existing character device or FIFO (symbolic links followed).
    public static func isStream(_ path: String) -> Bool {
        if path == standardOutput { return true }
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        let kind = st.st_mode & S_IFMT
        return kind == S_IFCHR || kind == S_IFIFO
    }

    /// Opens a temporary file next to `path`, or the stream `path` names (see `isStream`). Fails with `.exists` if
    /// `path` is an existing file and `overwrite` is false.
    public init(path: String, overwrite: Bool, bufferSize: Int = 1 << 20) throws {
        self.path = path
        if AtomicFileWriter.isStream(path) {
            let fd: Int32
            if path == AtomicFileWriter.standardOutput {
                guard isatty(STDOUT_FILENO) == 0 else {
                    throw CNZooError(.usage, "refusing to write binary data to a terminal; redirect standard output "
                                     + "(-o - > FILE, | cmd) or name a file", file: path)
                }
                fd = dup(STDOUT_FILENO)
            } else {
                fd = open(path, O_WRONLY | O_CLOEXEC)
            }
            guard fd >= 0 else {
                throw CNZooError(.io, "cannot open for writing: \(String(cString: strerror(errno)))", file: path)
            }
            self.fd = fd
            temporaryPath = path
            isStream = true
            buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 64)
            return
        }
        isStream = false
        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFREG else {
                throw CNZooError(.io, "output exists and is not a regular file; refusing to replace it", file: path)
            }
            if !overwrite { throw CNZooError(.exists, "output exists; pass --force to overwrite it", file: path) }
        }
        let dir: String
        if let slash = path.lastIndex(of: "/") {
            dir = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            dir = "."
        }
        let base = path.split(separator: "/").last.map(String.init) ?? path
        var template = Array("\(dir)/.\(base).cnzoo-tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            let msg = String(cString: strerror(errno))
            throw CNZooError(.io, "cannot create a temporary file in \(dir): \(msg)", file: path)
        }
        self.fd = fd
        self.temporaryPath = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
        fchmod(fd, 0o644)
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 64)
        _ = AtomicFileWriter.lockReady
        pthread_mutex_lock(&AtomicFileWriter.liveLock)
        AtomicFileWriter.live.insert(temporaryPath)
        pthread_mutex_unlock(&AtomicFileWriter.liveLock)
    }

    deinit {
        if !finished { abort() }
        buffer.deallocate()
    }

    /// Appends bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished else { throw CNZooError(.io, "write after commit/abort", file: path) }
        if bytes.count == 0 { return }
        if buffered + bytes.count <= buffer.count {
            UnsafeMutableRawBufferPointer(rebasing: buffer[buffered..<(buffered + bytes.count)]).copyMemory(from: bytes)
            buffered += bytes.count
        } else {
            try flush()
            if bytes.count >= buffer.count / 2 {
                try writeFully(bytes)
            } else {
                UnsafeMutableRawBufferPointer(rebasing: buffer[0..<bytes.count]).copyMemory(from: bytes)
                buffered = bytes.count
            }
        }
        bytesWritten += bytes.count
    }

    /// Appends bytes.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Appends the UTF-8 bytes of a string.
    public func write(_ string: String) throws {
        var s = string
        try s.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    /// Appends `count` copies of `byte`.
    public func write(repeating byte: UInt8, count: Int) throws {
        guard count > 0 else { return }
        try write([UInt8](repeating: byte, count: count))
    }

    /// Appends a tensor's bytes chunk by chunk (never materialising mapped data). Large ranges of a mapped file are
    /// copied inside the kernel (`copy_file_range`, what `cp` uses), which skips faulting the input into this
    /// process and copying it through user space; anything else goes through `write(2)`.
    public func write(_ data: TensorData) throws {
        switch data.source {
        case let .file(f, r) where f.fileDescriptor != nil && r.count >= AtomicFileWriter.kernelCopyThreshold:
            try copyRange(of: f, r)
        case let .chunks(f, ranges) where f.fileDescriptor != nil:
            for r in ranges {
                if r.count >= AtomicFileWriter.kernelCopyThreshold {
                    try copyRange(of: f, r)
                } else if let region = f.region(r) {
                    try write(region)
                } else {
                    throw CNZooError(.truncated, "tensor data \(r) lies outside the file (size \(f.size))", file: f.path)
                }
            }
        default:
            try data.forEachChunk { try write($0) }
        }
    }

    /// Ranges at least this long are copied with `copy_file_range`.
    static let kernelCopyThreshold = 1 << 20

    /// Copies `range` of `file` to the output in the kernel, falling back to `write(2)` where the kernel or the
    /// filesystems cannot (EXDEV, ENOSYS, EINVAL, EOPNOTSUPP).
    private func copyRange(of file: MappedFile, _ range: Range<Int>) throws {
        guard let inFD = file.fileDescriptor, range.lowerBound >= 0, range.upperBound <= file.size else {
            throw CNZooError(.truncated, "tensor data \(range) lies outside the file (size \(file.size))", file: file.path)
        }
        try flush()
        var inOffset = Int64(range.lowerBound)
        var left = range.count
        while left > 0 {
            let n = cnzoo_copy_file_range(inFD, &inOffset, fd, nil, min(left, 1 << 30), 0)
            if n > 0 {
                left -= n
                bytesWritten += n
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && [EXDEV, ENOSYS, EINVAL, EOPNOTSUPP].contains(errno) || n == 0 {
                // Fall back for what is left.
                let start = range.upperBound - left
                guard let rest = file.region(start..<range.upperBound) else {
                    throw CNZooError(.truncated, "tensor data lies outside the file", file: file.path)
                }
                try write(rest)
                return
            }
            let msg = String(cString: strerror(errno))
            throw CNZooError(.io, "write failed: \(msg)", file: path)
        }
    }

    private func flush() throws {
        guard buffered > 0 else { return }
        try writeFully(UnsafeRawBufferPointer(rebasing: buffer[0..<buffered]))
        buffered = 0
    }

    private func writeFully(_ bytes: UnsafeRawBufferPointer) throws {
        var off = 0
        while off < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + off, min(bytes.count - off, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                let msg = String(cString: strerror(errno))
                throw CNZooError(.io, "write failed: \(msg)", file: path)
            }
            off += n
        }
    }

    /// Flushes, fsyncs and renames the temporary file over `path` (a stream: flushes and closes it).
    public func commit() throws {
        guard !finished else { return }
        if isStream {
            defer { finished = true }
            do { try flush() } catch {
                close(fd)
                fd = -1
                throw error
            }
            let closed = close(fd)
            fd = -1
            guard closed == 0 else {
                throw CNZooError(.io, "close failed: \(String(cString: strerror(errno)))", file: path)
            }
            return
        }
        do {
            try flush()
            guard fsync(fd) == 0 else {
                throw CNZooError(.io, "fsync failed: \(String(cString: strerror(errno)))", file: path)
            }
            guard close(fd) == 0 else {
                fd = -1
                throw CNZooError(.io, "close failed: \(String(cString: strerror(errno)))", file: path)
            }
            fd = -1
            guard rename(temporaryPath, path) == 0 else {
                throw CNZooError(.io, "cannot rename into place: \(String(cString: strerror(errno)))", file: path)
            }
            syncDirectory()
        } catch {
            abort()
            throw error
        }
        finished = true
        forget()
    }

    /// fsyncs the target's directory so the rename itself survives a power cut (best effort: some filesystems refuse
    /// to fsync a directory, and the data is already durable).
    private func syncDirectory() {
        let dir = path.lastIndex(of: "/").map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { return }
        _ = fsync(dfd)
        close(dfd)
    }

    /// Closes and removes the temporary file; the target is left as it was (a stream is only closed).
    public func abort() {
        guard !finished else { return }
        finished = true
        if fd >= 0 { close(fd) }
        fd = -1
        guard !isStream else { return }
        unlink(temporaryPath)
        forget()
    }

    private func forget() {
        pthread_mutex_lock(&AtomicFileWriter.liveLock)
        AtomicFileWriter.live.remove(temporaryPath)
        pthread_mutex_unlock(&AtomicFileWriter.liveLock)
    }

    /// Removes every temporary file still open and every tracked staging folder (called from a SIGINT/SIGTERM
    /// handler before exiting).
    public static func removeAllTemporaryFiles() {
        _ = lockReady
        pthread_mutex_lock(&liveLock)
        for p in live { unlink(p) }
        live.removeAll()
        for d in liveFolders { try? FileManager.default.removeItem(atPath: d) }
        liveFolders.removeAll()
        pthread_mutex_unlock(&liveLock)
    }

    /// Staging folders this process is filling (a model folder written beside its target, then renamed into place).
    nonisolated(unsafe) private static var liveFolders: Set<String> = []

    /// Marks `path`, a staging folder this process is filling, for removal by ``removeAllTemporaryFiles()`` (so an
    /// interrupted run leaves no half-written folder) until ``forgetTemporaryFolder(_:)``.
    public static func trackTemporaryFolder(_ path: String) {
        _ = lockReady
        pthread_mutex_lock(&liveLock)
        liveFolders.insert(path)
        pthread_mutex_unlock(&liveLock)
    }

    /// Stops tracking `path` (renamed into place, or removed by its writer).
    public static func forgetTemporaryFolder(_ path: String) {
        _ = lockReady
        pthread_mutex_lock(&liveLock)
        liveFolders.remove(path)
        pthread_mutex_unlock(&liveLock)
    }
}
