@testable import CNZooModels
import Testing

/// `LinearWeight.chained` (both linears of a ConvNeXt MLP block by block of rows) gives exactly what the two
/// layers give one after the other, on every ISA and thread count, in place as the model runs it.
@Suite struct ChainedMLPTests {
    /// C = 100 (partial weight panels), hidden 1400 or 1536 (fc2 runs two K blocks; 1536 is a multiple of 512, so
    /// the hidden block's rows are padded: `MatrixLayout.rowMajorSpread`), 400 rows: blocks of 96 rows.
    @Test(arguments: isaSets, [1400, 1536]) func matchesTheLayersOneAfterTheOther(_ kern: Kernels, hidden: Int) {
        let (m, c) = (400, 100)
        var rng = LCG(seed: 11)
        let w1 = (0..<(hidden * c)).map { _ in rng.next() * 0.1 }, b1 = (0..<hidden).map { _ in rng.next() }
        let w2 = (0..<(c * hidden)).map { _ in rng.next() * 0.1 }, b2 = (0..<c).map { _ in rng.next() }
        let scale = (0..<c).map { _ in rng.next() }
        let input = (0..<(m * c)).map { _ in rng.next() }, x0 = (0..<(m * c)).map { _ in rng.next() }
        let fc1 = LinearWeight(w1, n: hidden, k: c, engine: .cnzoo), fc2 = LinearWeight(w2, n: c, k: hidden, engine: .cnzoo)
        for threads in [1, 2, 3] {
            var seqX = x0, seqT = input, chainX = x0, chainT = input
            var hiddenBuffer = [Float](repeating: .nan, count: m * hidden)
            var chained = false
            b1.withUnsafeBufferPointer { b1p in b2.withUnsafeBufferPointer { b2p in scale.withUnsafeBufferPointer { sp in
                let gelu = KernelEpilogue(bias: b1p.baseAddress, activation: .geluErf)
                seqX.withUnsafeMutableBufferPointer { x in seqT.withUnsafeMutableBufferPointer { t in
                    hiddenBuffer.withUnsafeMutableBufferPointer { h in
                        let residual = KernelEpilogue(bias: b2p.baseAddress, postScale: sp.baseAddress, residual: x.baseAddress)
                        fc1.apply(t.baseAddress!, h.baseAddress!, m: m, threads: threads, kernels: kern, epilogue: gelu)
                        fc2.apply(h.baseAddress!, t.baseAddress!, m: m, threads: threads, kernels: kern, epilogue: residual)
                    }
                } }
                chainX.withUnsafeMutableBufferPointer { x in chainT.withUnsafeMutableBufferPointer { t in
                    let residual = KernelEpilogue(bias: b2p.baseAddress, postScale: sp.baseAddress, residual: x.baseAddress)
                    chained = LinearWeight.chained(fc1, gelu, fc2, residual, input: t.baseAddress!, output: t.baseAddress!,
                                                   m: m, threads: threads, kernels: kern, workspace: Workspace(), slot: 0)
                } }
            } } }
            // Three threads would get fewer than two blocks each: the caller runs the layers itself.
            #expect(chained == (threads < 3), "\(kern.isa) threads \(threads)")
            if chained {
                #expect(chainX == seqX, "\(kern.isa) threads \(threads): chained result differs")
            } else {
                #expect(chainX == x0 && chainT == input, "nothing may be written when chained declines")
            }
        }
    }
}
