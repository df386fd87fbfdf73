import Foundation

/// An axis permutation of a row-major tensor, as NumPy's `transpose(axes)`: axis `i` of the result is axis
/// `permutation[i]` of the source. It only moves elements, so values are bit-exact whatever the dtype.
///
/// The stored form is simplified: axes of size 1 are dropped and source axes that stay adjacent and in order are
/// merged, so `[O,I,1,1]` with `(1,0,2,3)` becomes a plain 2-D transpose of `[O,I]`.
public struct TensorPermutation: Sendable, Equatable {
    /// The (simplified) source shape.
    public let sourceShape: [Int]
    /// The (simplified) permutation: result axis `i` is source axis `permutation[i]`.
    public let permutation: [Int]
    /// Bytes per element.
    public let elementBytes: Int
    /// The most bytes `TensorData.forEachChunk` hands out at once for this view (at least one element).
    public let chunkBytes: Int

    /// The default upper bound on one streamed piece: 1 MiB.
    public static let defaultChunkBytes = 1 << 20

    /// Plans the permutation of a `shape` tensor of `elementBytes`-wide elements, or throws `usage` when
    /// `permutation` is not a permutation of `0..<shape.count`. Returns nil when the permutation moves nothing (its
    /// simplified form is the identity), so callers can keep the source as it is.
    public static func plan(shape: [Int], permutation: [Int], elementBytes: Int,
                            chunkBytes: Int = defaultChunkBytes) throws -> TensorPermutation? {
        guard permutation.count == shape.count, Set(permutation) == Set(0..<shape.count) else {
            throw CNZooError(.usage, "\(permutation) is not a permutation of the \(shape.count) axes of \(shape)")
        }
        guard elementBytes > 0, chunkBytes > 0, shape.allSatisfy({ $0 >= 0 }) else {
            throw CNZooError(.usage, "invalid permuted view: shape \(shape), \(elementBytes)-byte elements")
        }
        if shape.contains(0) { return nil }
        // Drop size-1 axes (they do not move anything), renumbering the survivors.
        let kept = shape.indices.filter { shape[$0] != 1 }
        let renumber = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, $0) })
        let perm = permutation.compactMap { renumber[$0] }
        let dims = kept.map { shape[$0] }
        // Merge runs of result axes that are consecutive source axes.
        var groups: [[Int]] = []
        for p in perm {
            if let last = groups.last?.last, p == last + 1 { groups[groups.count - 1].append(p) } else { groups.append([p]) }
        }
        guard groups.count > 1 else { return nil }
        let bySource = groups.sorted { $0[0] < $1[0] }
        let mergedShape = bySource.map { $0.reduce(1) { $0 * dims[$1] } }
        let mergedPerm = groups.map { g in bySource.firstIndex { $0[0] == g[0] }! }
        return TensorPermutation(sourceShape: mergedShape, permutation: mergedPerm, elementBytes: elementBytes,
                                 chunkBytes: max(elementBytes, chunkBytes / elementBytes * elementBytes))
    }

    /// The permutation that undoes `permutation` (`inverse[permutation[i]] == i`).
    public static func inverse(_ permutation: [Int]) -> [Int] {
        var inv = [Int](repeating: 0, count: permutation.count)
        for (i, p) in permutation.enumerated() { inv[p] = i }
        return inv
    }

    /// The shape `shape` takes under `permutation` (`result[i] == shape[permutation[i]]`); `permutation` must be a
    /// permutation of `shape`'s axes.
    public static func permutedShape(_ shape: [Int], _ permutation: [Int]) -> [Int] { permutation.map { shape[$0] } }

    /// Streams the permuted elements of `source` (the whole source tensor, contiguous) in row-major result order,
    /// in pieces of at most `chunkBytes`.
    func stream(_ source: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let rank = sourceShape.count
        var sourceStrides = [Int](repeating: elementBytes, count: rank)
        for k in stride(from: rank - 2, through: 0, by: -1) { sourceStrides[k] = sourceStrides[k + 1] * sourceShape[k + 1] }
        let dims = permutation.map { sourceShape[$0] }
        let strides = permutation.map { sourceStrides[$0] }
        let inner = dims[rank - 1], innerStride = strides[rank - 1]
        let rows = dims.dropLast().reduce(1, *)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBytes, alignment: 16)
        defer { buffer.deallocate() }
        let width = elementBytes
        let perChunk = chunkBytes / width
        var index = [Int](repeating: 0, count: rank - 1)
        var rowOffset = 0
        var filled = 0
        for _ in 0..<rows {
            var j = 0
            while j < inner {
                let n = min(inner - j, perChunk - filled / width)
                Self.gather(n, width, from: source.baseAddress! + rowOffset + j * innerStride, stride: innerStride,
                            to: buffer.baseAddress! + filled)
                filled += n * width
                j += n
                if filled == chunkBytes {
                    try body(UnsafeRawBufferPointer(buffer))
                    filled = 0
                }
            }
            // Advance the odometer over the outer result axes.
            var k = rank - 2
            while k >= 0 {
                index[k] += 1
                rowOffset += strides[k]
                if index[k] < dims[k] { break }
                rowOffset -= strides[k] * dims[k]
                index[k] = 0
                k -= 1
            }
        }
        if filled > 0 { try body(UnsafeRawBufferPointer(rebasing: buffer[0..<filled])) }
    }

    /// Copies `count` elements of `width` bytes, `stride` bytes apart, to consecutive places at `to`.
    private static func gather(_ count: Int, _ width: Int, from: UnsafeRawPointer, stride: Int,
                               to: UnsafeMutableRawPointer) {
        func typed<T>(_: T.Type) {
            for i in 0..<count {
                to.storeBytes(of: from.loadUnaligned(fromByteOffset: i * stride, as: T.self), toByteOffset: i * width,
                              as: T.self)
            }
        }
        switch width {
        case 1: typed(UInt8.self)
        case 2: typed(UInt16.self)
        case 4: typed(UInt32.self)
        case 8: typed(UInt64.self)
        default:
            for i in 0..<count { memcpy(to + i * width, from + i * stride, width) }
        }
    }
}

extension TensorData {
    /// A lazy view of `source` — the row-major elements of a `shape` tensor, `elementBytes` each — with its axes
    /// permuted as NumPy's `transpose(permutation)`: the result has shape `permutation.map { shape[$0] }`.
    ///
    /// Nothing is read until a consumer streams it; `forEachChunk` then yields pieces of at most `chunkBytes`
    /// (the source itself is read in place when it is a single file range, and materialised once otherwise). A
    /// permutation that moves nothing (the identity, or one that only moves size-1 axes) returns `source` itself.
    /// Throws `usage` for an invalid permutation or a byte count that does not match `shape`.
    public static func permuted(_ source: TensorData, shape: [Int], permutation: [Int], elementBytes: Int,
                                chunkBytes: Int = TensorPermutation.defaultChunkBytes) throws -> TensorData {
        guard let count = Checked.elementCount(shape), let bytes = Checked.multiply(count, elementBytes),
              bytes == source.byteCount else {
            throw CNZooError(.usage, "a \(shape) tensor of \(elementBytes)-byte elements cannot have "
                             + "\(source.byteCount) bytes")
        }
        guard let plan = try TensorPermutation.plan(shape: shape, permutation: permutation,
                                                    elementBytes: elementBytes, chunkBytes: chunkBytes) else {
            return source
        }
        return TensorData(.permuted(source, plan), byteCount: source.byteCount)
    }
}
