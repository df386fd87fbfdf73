import CNZooCore
import CNZooKernelsC

/// Which matrix-multiply engine runs the linear layers and the patch convolutions.
public enum GemmEngine: String, Sendable, CaseIterable, Codable {
    /// cnzoo's AVX-512 kernel when the CPU has AVX-512, otherwise OpenBLAS.
    case auto
    /// cnzoo's AVX-512 kernel (refused on CPUs without AVX-512).
    case cnzoo
    /// OpenBLAS `cblas_sgemm` (its kernel follows `OPENBLAS_CORETYPE`).
    case openblas

    /// Whether cnzoo's own kernel can run here.
    public static var ownKernelAvailable: Bool { cnz_gemm_available() != 0 }
}

/// A linear layer's weight `[n, k]` (PyTorch layout), stored the way the chosen engine wants it: packed panels
/// for cnzoo's kernel, plain row-major for OpenBLAS.
struct LinearWeight {
    let n: Int
    let k: Int
    let packed: [Float]?
    let plain: [Float]

    init(_ w: [Float], n: Int, k: Int, packedForOwnKernel: Bool) {
        self.n = n
        self.k = k
        if packedForOwnKernel {
            var p = [Float](repeating: 0, count: cnz_packed_count(Int32(n), Int32(k)))
            w.withUnsafeBufferPointer { src in
                p.withUnsafeMutableBufferPointer { cnz_pack_weight(src.baseAddress!, Int32(n), Int32(k), $0.baseAddress!) }
            }
            packed = p
            plain = []
        } else {
            packed = nil
            plain = w
        }
    }

    /// What to do with each finished output row (fused into cnzoo's kernel, separate passes with OpenBLAS).
    enum Epilogue {
        case none
        /// `c = gelu(c + bias)`.
        case biasGELU(bias: UnsafePointer<Float>, form: Numerics.GELU)
        /// `residual += scale ⊙ (c + bias)`; `c` is scratch.
        case scaledResidual(bias: UnsafePointer<Float>, scale: UnsafePointer<Float>, residual: UnsafeMutablePointer<Float>)
    }

    /// `c[m, n] = a[m, k] · Wᵀ` then `epilogue`, rows split over `threads` (OpenBLAS threads itself).
    func apply(_ a: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, m: Int, threads: Int,
               epilogue: Epilogue = .none) {
        guard m > 0 else { return }
        let (n, k) = (self.n, self.k)
        if let packed {
            packed.withUnsafeBufferPointer { pw in
                func epilogueFor(rowOffset r0: Int) -> cnz_epilogue {
                    var e = cnz_epilogue(kind: CNZ_EPILOGUE_NONE, bias: nil, scale: nil, residual: nil)
                    switch epilogue {
                    case .none: break
                    case let .biasGELU(bias, form):
                        e.kind = form == .erf ? CNZ_EPILOGUE_BIAS_GELU_ERF : CNZ_EPILOGUE_BIAS_GELU_TANH
                        e.bias = bias
                    case let .scaledResidual(bias, scale, residual):
                        e.kind = CNZ_EPILOGUE_SCALED_RESIDUAL
                        e.bias = bias
                        e.scale = scale
                        e.residual = residual + r0 * n
                    }
                    return e
                }
                let panels = (n + 31) / 32
                if m < 128 && panels >= 2 * threads {
                    // Few rows (late stages at small batch): split the output columns, so each thread streams only
                    // its share of the weight.
                    Parallel.split(panels, parts: threads) { p in
                        cnz_gemm_packed_panels(a, pw.baseAddress!, c, Int32(m), Int32(n), Int32(k), Int32(p.lowerBound),
                                               Int32(p.upperBound), epilogueFor(rowOffset: 0))
                    }
                    return
                }
                // Split on whole 8-row groups so each thread keeps the full register block.
                let groups = (m + 7) / 8
                Parallel.split(groups, parts: threads) { g in
                    let r0 = g.lowerBound * 8, r1 = min(m, g.upperBound * 8)
                    guard r1 > r0 else { return }
                    cnz_gemm_packed(a + r0 * k, pw.baseAddress!, c + r0 * n, Int32(r1 - r0), Int32(n), Int32(k),
                                    epilogueFor(rowOffset: r0))
                }
            }
            return
        }
        plain.withUnsafeBufferPointer { Gemm.linear(a, $0.baseAddress!, c, m: m, n: n, k: k) }
        switch epilogue {
        case .none: break
        case let .biasGELU(bias, form):
            Parallel.split(m, parts: threads) { rows in
                Activation.biasGELU(c + rows.lowerBound * n, rows: rows.count, cols: n, bias: bias, form: form)
            }
        case let .scaledResidual(bias, scale, residual):
            Parallel.split(m, parts: threads) { rows in
                Residual.addScaled(residual + rows.lowerBound * n, c + rows.lowerBound * n, rows: rows.count, cols: n,
                                   bias: bias, scale: scale)
            }
        }
    }
}

/// Entry points for tests of the GEMM kernels.
public enum GemmTesting {
    /// Packs `w` [n, k] and runs cnzoo's kernel: `c[m, n] = a · wᵀ`.
    public static func ownKernel(_ w: [Float], n: Int, k: Int, a: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                                 m: Int, threads: Int) {
        LinearWeight(w, n: n, k: k, packedForOwnKernel: true).apply(a, c, m: m, threads: threads)
    }
}
