import CNZooCore
import CNZooTestSupport
import Testing

/// Lazy permuted views (`TensorData.permuted`): property tests against a naive transpose, for every element width.
@Suite struct TensorPermutationTests {
    /// Every element width a known dtype has, plus an odd one (3 bytes) for the generic copy path.
    static let widths: [Int] = Array(Set(DType.known.compactMap { $0.0.byteWidth })).sorted() + [3]

    /// The reference: for each result index in row-major order, the source element it comes from.
    static func naiveTranspose(_ bytes: [UInt8], shape: [Int], permutation: [Int], width: Int) -> [UInt8] {
        let outShape = permutation.map { shape[$0] }
        let count = shape.reduce(1, *)
        var sourceStrides = [Int](repeating: 1, count: shape.count)
        for k in stride(from: shape.count - 2, through: 0, by: -1) { sourceStrides[k] = sourceStrides[k + 1] * shape[k + 1] }
        var out: [UInt8] = []
        for flat in 0..<count {
            var rest = flat, sourceIndex = 0
            for k in stride(from: outShape.count - 1, through: 0, by: -1) {
                sourceIndex += (rest % outShape[k]) * sourceStrides[permutation[k]]
                rest /= outShape[k]
            }
            out += bytes[(sourceIndex * width)..<((sourceIndex + 1) * width)]
        }
        return out
    }

    /// The same bytes as a `.bytes`, a single-range `.file` or a multi-range `.chunks` source.
    static func source(_ bytes: [UInt8], kind: Int, rng: inout SplitMix64) -> TensorData {
        switch kind {
        case 0: return .bytes(bytes)
        case 1:
            let file = bytes.withUnsafeBytes { MappedFile(copying: $0) }
            return .file(file, 0..<bytes.count)
        default:
            let file = bytes.withUnsafeBytes { MappedFile(copying: $0) }
            var cuts = (0..<rng.below(4)).map { _ in rng.below(bytes.count + 1) } + [0, bytes.count]
            cuts.sort()
            let ranges = zip(cuts, cuts.dropFirst()).map { $0..<$1 }
            return TensorData(.chunks(file, ranges), byteCount: bytes.count)
        }
    }

    static func pieces(_ data: TensorData) throws -> [[UInt8]] {
        var pieces: [[UInt8]] = []
        try data.forEachChunk { pieces.append(Array($0)) }
        return pieces
    }

    @Test(arguments: 0..<60)
    func permuteMatchesNaiveAndInvertsToIdentity(seed: Int) throws {
        var rng = SplitMix64(state: UInt64(seed) &* 0x9E37 &+ 11)
        for width in Self.widths {
            let rank = rng.below(6)
            let shape = (0..<rank).map { _ in rng.below(7) == 0 ? 0 : 1 + rng.below(5) }
            let permutation = Array(0..<rank).shuffled(using: &rng)
            let count = shape.reduce(1, *)
            let bytes = (0..<(count * width)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let chunkBytes = 1 + rng.below(4 * width + 40)
            let label = "shape \(shape) permutation \(permutation) width \(width) chunk \(chunkBytes)"

            let data = Self.source(bytes, kind: rng.below(3), rng: &rng)
            let view = try TensorData.permuted(data, shape: shape, permutation: permutation, elementBytes: width,
                                               chunkBytes: chunkBytes)
            let expected = Self.naiveTranspose(bytes, shape: shape, permutation: permutation, width: width)
            #expect(view.byteCount == bytes.count, "\(label)")
            #expect(try view.readAll() == expected, "\(label)")

            // Streaming: bounded, non-empty pieces whose concatenation is readAll.
            let pieces = try Self.pieces(view)
            #expect(pieces.joined().elementsEqual(expected), "\(label)")
            if case .permuted = view.source {
                #expect(pieces.allSatisfy { !$0.isEmpty && $0.count <= max(width, chunkBytes / width * width) },
                        "\(label)")
            }

            // Permute then inverse-permute gives the source bytes back.
            let back = try TensorData.permuted(view, shape: TensorPermutation.permutedShape(shape, permutation),
                                               permutation: TensorPermutation.inverse(permutation),
                                               elementBytes: width, chunkBytes: chunkBytes)
            #expect(try back.readAll() == bytes, "\(label)")
        }
    }

    @Test func movesNothingReturnsTheSourceItself() throws {
        let bytes: [UInt8] = Array(0..<24)
        let file = bytes.withUnsafeBytes { MappedFile(copying: $0) }
        let data = TensorData.file(file, 0..<24)
        // Identity, a permutation of size-1 axes only, a scalar, and a zero-size tensor keep the file source.
        for (shape, permutation) in [([2, 3, 4], [0, 1, 2]), ([1, 6, 1, 4], [2, 1, 0, 3]), ([3, 8], [0, 1])] {
            let view = try TensorData.permuted(data, shape: shape, permutation: permutation, elementBytes: 1)
            guard case .file = view.source else {
                Issue.record("\(shape) \(permutation) was not kept as the file range")
                continue
            }
        }
        let scalar = try TensorData.permuted(.bytes([1, 2, 3, 4]), shape: [], permutation: [], elementBytes: 4)
        #expect(try scalar.readAll() == [1, 2, 3, 4])
        let empty = try TensorData.permuted(.bytes([]), shape: [3, 0, 2], permutation: [2, 0, 1], elementBytes: 8)
        #expect(empty.byteCount == 0)
        #expect(try Self.pieces(empty).joined().isEmpty)
    }

    @Test func adjacentAxesAreMergedIntoOneTranspose() throws {
        // [O,I,kh,kw] → (kh,kw,I,O): kh,kw stay adjacent, so the plan is a 3-axis permutation of [O,I,kh*kw].
        let plan = try #require(try TensorPermutation.plan(shape: [5, 3, 2, 2], permutation: [2, 3, 1, 0],
                                                           elementBytes: 4))
        #expect(plan.sourceShape == [5, 3, 4])
        #expect(plan.permutation == [2, 1, 0])
        let dense = try #require(try TensorPermutation.plan(shape: [6, 1, 1, 4], permutation: [1, 3, 2, 0],
                                                            elementBytes: 2))
        #expect(dense.sourceShape == [6, 4])
        #expect(dense.permutation == [1, 0])
    }

    @Test func largeViewsStreamInBoundedPieces() throws {
        // A 768×1024 f32 transpose (3 MiB): default pieces are at most 1 MiB, and nothing else is held.
        let rows = 768, cols = 1024
        var bytes = [UInt8](repeating: 0, count: rows * cols * 4)
        for i in 0..<(rows * cols) {
            withUnsafeBytes(of: UInt32(i).littleEndian) { bytes.replaceSubrange((i * 4)..<(i * 4 + 4), with: $0) }
        }
        let view = try TensorData.permuted(.bytes(bytes), shape: [rows, cols], permutation: [1, 0], elementBytes: 4)
        var sizes: [Int] = []
        var firstColumn: [UInt32] = []
        try view.forEachChunk { piece in
            sizes.append(piece.count)
            if firstColumn.isEmpty {
                firstColumn = (0..<4).map { piece.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self) }
            }
        }
        #expect(sizes.count == 3)
        #expect(sizes.allSatisfy { $0 <= TensorPermutation.defaultChunkBytes })
        #expect(sizes.reduce(0, +) == bytes.count)
        #expect(firstColumn == [0, 1024, 2048, 3072].map(UInt32.init))
    }

    @Test func invalidViewsAreRefused() {
        let data = TensorData.bytes([UInt8](repeating: 0, count: 24))
        for permutation in [[0, 1], [0, 0, 1], [0, 1, 3], [2, 1, 0, 3]] {
            #expect(throws: CNZooError.self) {
                try TensorData.permuted(data, shape: [2, 3, 4], permutation: permutation, elementBytes: 1)
            }
        }
        #expect(throws: CNZooError.self) {  // 2·3·4 four-byte elements are not 24 bytes
            try TensorData.permuted(data, shape: [2, 3, 4], permutation: [2, 1, 0], elementBytes: 4)
        }
        #expect(throws: CNZooError.self) {
            try TensorData.permuted(data, shape: [24], permutation: [0], elementBytes: 0)
        }
    }

    @Test func atomicWriterStreamsAPermutedView() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let bytes: [UInt8] = Array(0..<60)
        let view = try TensorData.permuted(.bytes(bytes), shape: [3, 4, 5], permutation: [2, 0, 1], elementBytes: 1,
                                           chunkBytes: 7)
        let path = dir + "/t.bin"
        let writer = try AtomicFileWriter(path: path, overwrite: false)
        try writer.write(view)
        try writer.commit()
        #expect(try TestSupport.readFile(path) == Self.naiveTranspose(bytes, shape: [3, 4, 5], permutation: [2, 0, 1],
                                                                       width: 1))
    }
}
