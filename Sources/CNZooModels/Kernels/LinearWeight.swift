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

    /// `c[m, n] = a[m, k] · Wᵀ`, rows split over `threads` for the own kernel (OpenBLAS threads itself).
    func apply(_ a: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, m: Int, threads: Int) {
        guard m > 0 else { return }
        if let packed {
            let (n, k) = (self.n, self.k)
            packed.withUnsafeBufferPointer { pw in
                // Split on whole 8-row groups so each thread keeps the full register block.
                let groups = (m + 7) / 8
                Parallel.split(groups, parts: threads) { g in
                    let r0 = g.lowerBound * 8, r1 = min(m, g.upperBound * 8)
                    guard r1 > r0 else { return }
                    cnz_gemm_packed(a + r0 * k, pw.baseAddress!, c + r0 * n, Int32(r1 - r0), Int32(n), Int32(k))
                }
            }
        } else {
            plain.withUnsafeBufferPointer { Gemm.linear(a, $0.baseAddress!, c, m: m, n: n, k: k) }
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
