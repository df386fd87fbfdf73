#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory. Mapping reads nothing: pages are faulted in only when a tensor's
/// bytes are asked for, so opening a multi-GB checkpoint costs only what its header parse touches.
public final class MappedFile: @unchecked Sendable {
    /// The path the file was opened from (for error messages).
    public let path: String
    /// The file's size in bytes.
    public let size: Int
    private let base: UnsafeRawPointer?
    /// Whether `base` is a heap copy (from `init(copying:path:)`) rather than a mapping.
    private let ownsHeapCopy: Bool
    /// The open descriptor of a mapped file (kept so writers can copy ranges in the kernel); nil for heap copies.
    public let fileDescriptor: Int32?

    /// Maps `path`. Empty files map to an empty buffer. Anything but a regular file (a FIFO, a device, a
    /// directory) is refused without waiting on it: the open does not block, and nothing is read before the check.
    public init(path: String) throws {
        self.path = path
        ownsHeapCopy = false
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let code: CNZooError.Code = errno == ENOENT ? .notFound : .unreadable
            throw CNZooError(code, "cannot open: \(String(cString: strerror(errno)))", file: path)
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw CNZooError(.unreadable, "cannot stat: \(String(cString: strerror(errno)))", file: path)
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw CNZooError(.unreadable, "not a regular file", file: path)
        }
        size = Int(st.st_size)
        fileDescriptor = fd
        if size == 0 {
            base = nil
            return
        }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else {
            close(fd)
            throw CNZooError(.unreadable, "cannot map file: \(String(cString: strerror(errno)))", file: path)
        }
        base = UnsafeRawPointer(p)
    }

    /// Wraps a copy of in-memory `bytes` as if it were a file at `path` (for fuzz harnesses and tests that build
    /// inputs in memory). The copy is an exactly-sized heap block, so AddressSanitizer sees any read past its end.
    public init(copying bytes: UnsafeRawBufferPointer, path: String = "<memory>") {
        self.path = path
        size = bytes.count
        ownsHeapCopy = true
        fileDescriptor = nil
        if bytes.isEmpty {
            base = nil
            return
        }
        let copy = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 64)
        copy.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        base = UnsafeRawPointer(copy)
    }

    deinit {
        if let fileDescriptor { close(fileDescriptor) }
        guard let base else { return }
        if ownsHeapCopy {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        } else {
            munmap(UnsafeMutableRawPointer(mutating: base), size)
        }
    }

    /// All bytes of the file.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }

    /// A copy of the whole file (made while the mapping is alive: `bytes` of a temporary `MappedFile` may already be
    /// unmapped when the next expression reads it).
    public func copyBytes() -> [UInt8] { [UInt8](bytes) }

    /// The bytes in `range`, or nil if it is not inside the file.
    public func region(_ range: Range<Int>) -> UnsafeRawBufferPointer? {
        guard range.lowerBound >= 0, range.upperBound <= size else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[range])
    }

    /// Maps every page of `range` into this process in one call (`MADV_POPULATE_READ`, Linux 5.14+), so a pass over
    /// it takes no page fault per 4 KiB page; a no-op where the kernel does not know the advice.
    public func prefault(_ range: Range<Int>) {
        guard let base, !ownsHeapCopy, !range.isEmpty, range.lowerBound >= 0, range.upperBound <= size else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = range.lowerBound / page * page
        #if os(Linux)
        let populateRead: Int32 = 22  // MADV_POPULATE_READ (not in every Glibc module map)
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), range.upperBound - start, populateRead)
        #endif
    }

    /// Hints the kernel that `range` will be read sequentially soon.
    public func adviseSequential(_ range: Range<Int>) {
        guard let base, !ownsHeapCopy, !range.isEmpty, range.lowerBound >= 0, range.upperBound <= size else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = range.lowerBound / page * page
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), range.upperBound - start, MADV_SEQUENTIAL)
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), range.upperBound - start, MADV_WILLNEED)
    }
}
