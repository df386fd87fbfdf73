/// Where a tensor's bytes live. Readers hand out lazy sources; nothing is read until a consumer asks.
///
/// Bytes are always little-endian and row-major (C order), exactly `byteCount` long.
public struct TensorData: @unchecked Sendable {
    /// The kinds of source.
    public enum Source {
        /// A range of a mapped file (read in place, zero copy).
        case file(MappedFile, Range<Int>)
        /// Several ranges of a mapped file, concatenated in order (MindSpore slices).
        case chunks(MappedFile, [Range<Int>])
        /// Bytes already in memory.
        case bytes([UInt8])
        /// Bytes produced on demand (strided views, dtype casts).
        case computed(() throws -> [UInt8])
        /// Another source with its axes permuted (a layout change), streamed in bounded pieces; see
        /// `TensorData.permuted(_:shape:permutation:elementBytes:chunkBytes:)`.
        indirect case permuted(TensorData, TensorPermutation)
    }

    /// Where the bytes come from.
    public let source: Source
    /// The exact number of bytes this source yields.
    public let byteCount: Int

    /// A source that yields exactly `byteCount` bytes (the static constructors compute the count for you).
    public init(_ source: Source, byteCount: Int) {
        self.source = source
        self.byteCount = byteCount
    }

    /// In-memory bytes.
    public static func bytes(_ b: [UInt8]) -> TensorData { TensorData(.bytes(b), byteCount: b.count) }

    /// A file range; the range must already be validated against the file size.
    public static func file(_ f: MappedFile, _ r: Range<Int>) -> TensorData { TensorData(.file(f, r), byteCount: r.count) }

    /// The mapped file and its ranges when the bytes are stored verbatim in an open file (what writers can copy in
    /// the kernel); nil for in-memory, computed and permuted sources.
    public var fileRanges: (file: MappedFile, ranges: [Range<Int>])? {
        switch source {
        case let .file(f, r) where f.fileDescriptor != nil: return (f, [r])
        case let .chunks(f, rs) where f.fileDescriptor != nil: return (f, rs)
        default: return nil
        }
    }

    /// Calls `body` with the bytes as one or more contiguous pieces, in order, without materialising mapped data.
    public func forEachChunk(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        switch source {
        case let .file(f, r):
            guard let region = f.region(r) else {
                throw CNZooError(.truncated, "tensor data \(r) lies outside the file (size \(f.size))", file: f.path)
            }
            try body(region)
        case let .chunks(f, ranges):
            for r in ranges {
                guard let region = f.region(r) else {
                    throw CNZooError(.truncated, "tensor data \(r) lies outside the file (size \(f.size))", file: f.path)
                }
                try body(region)
            }
        case let .bytes(b):
            try b.withUnsafeBytes { try body($0) }
        case let .computed(make):
            let b = try make()
            guard b.count == byteCount else {
                throw CNZooError(.malformed, "computed tensor produced \(b.count) bytes, expected \(byteCount)")
            }
            try b.withUnsafeBytes { try body($0) }
        case let .permuted(inner, plan):
            try inner.withContiguousBytes { try plan.stream($0, body) }
        }
    }

    /// Calls `body` with all bytes in one contiguous buffer (zero copy for a single file range).
    public func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        if case let .file(f, r) = source {
            guard let region = f.region(r) else {
                throw CNZooError(.truncated, "tensor data \(r) lies outside the file (size \(f.size))", file: f.path)
            }
            return try body(region)
        }
        let all = try readAll()
        return try all.withUnsafeBytes { try body($0) }
    }

    /// Copies all bytes into a new array.
    public func readAll() throws -> [UInt8] {
        if case let .bytes(b) = source { return b }
        var out = [UInt8]()
        out.reserveCapacity(byteCount)
        try forEachChunk { out.append(contentsOf: $0) }
        return out
    }
}
