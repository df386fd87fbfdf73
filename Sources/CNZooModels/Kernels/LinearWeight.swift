import CNZooCore
import CNZooKernelsC

/// Which matrix-multiply engine runs the linear layers and the patch convolutions.
public enum GemmEngine: String, Sendable, CaseIterable, Codable {
    /// cnzoo's own kernels (the ISA chosen at start-up; see `Kernels.active`).
    case auto
    /// cnzoo's own kernels (the same as `auto`; kept as an explicit choice for the command line).
    case cnzoo
    /// OpenBLAS `cblas_sgemm` (its kernel follows `OPENBLAS_CORETYPE`); an optional fallback.
    case openblas
}

/// A linear layer's weight `[n, k]` (PyTorch layout), held once in the form its engine reads: packed panels for
/// cnzoo's kernels (widened from f16/bf16/f64 while packing, so no float32 copy of the source is kept), plain
/// row-major float32 for OpenBLAS.
struct LinearWeight {
    let n: Int
    let k: Int
    let packed: [Float]?
    let plain: [Float]

    /// From `n·k` little-endian values of `type` at `source`.
    init(source: UnsafeRawPointer, type: cnz_source_type, n: Int, k: Int, engine: GemmEngine) {
        self.n = n
        self.k = k
        if engine == .openblas {
            var w = [Float](repeating: 0, count: n * k)
            w.withUnsafeMutableBufferPointer { cnz_widen(source, type, n * k, $0.baseAddress!) }
            packed = nil
            plain = w
        } else {
            var p = [Float](repeating: 0, count: cnz_packed_count(Int32(n), Int32(k)))
            p.withUnsafeMutableBufferPointer { cnz_pack_weight(source, type, Int32(n), Int32(k), $0.baseAddress!) }
            packed = p
            plain = []
        }
    }

    /// From float32 values.
    init(_ w: [Float], n: Int, k: Int, engine: GemmEngine) {
        precondition(w.count == n * k, "weight holds \(w.count) values, expected \(n)×\(k)")
        self = w.withUnsafeBytes { LinearWeight(source: $0.baseAddress!, type: CNZ_SRC_F32, n: n, k: k, engine: engine) }
    }

    /// From a tensor of `n·k` floating-point values (f32, f16, bf16 or f64), read in place.
    init(_ entry: TensorEntry, n: Int, k: Int, engine: GemmEngine) throws {
        let type = try WeightWidening.sourceType(entry, count: n * k)
        self = try entry.data.withContiguousBytes { raw in
            LinearWeight(source: raw.baseAddress!, type: type, n: n, k: k, engine: engine)
        }
    }

    /// `c[m, n] = a[m, k] · Wᵀ` then `epilogue` (residual indexed like `c`), split over `threads`.
    func apply(_ a: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, m: Int, threads: Int, kernels: Kernels,
               epilogue: KernelEpilogue = .none) {
        guard m > 0 else { return }
        let (n, k) = (self.n, self.k)
        guard let packed else {
            plain.withUnsafeBufferPointer { Gemm.linear(a, $0.baseAddress!, c, m: m, n: n, k: k) }
            LinearWeight.unfused(epilogue, c, m: m, n: n, threads: threads, kernels: kernels)
            return
        }
        packed.withUnsafeBufferPointer { pw in
            let panels = (n + Int(CNZ_PANEL) - 1) / Int(CNZ_PANEL)
            if m < 128 && panels >= 2 * threads {
                // Few rows (late stages at small batch): split the output columns, so each thread streams only its
                // share of the weight.
                Parallel.split(panels, parts: threads) { p in
                    kernels.gemm(a, pw.baseAddress!, c, rows: m, n: n, k: k, panels: p, epilogue: epilogue)
                }
                return
            }
            // Split on whole 12-row groups so each thread keeps the full register block.
            let groups = (m + 11) / 12
            Parallel.split(groups, parts: threads) { g in
                let r0 = g.lowerBound * 12, r1 = min(m, g.upperBound * 12)
                guard r1 > r0 else { return }
                kernels.gemm(a + r0 * k, pw.baseAddress!, c + r0 * n, rows: r1 - r0, n: n, k: k, panels: 0..<panels,
                             epilogue: epilogue.offset(by: r0 * n))
            }
        }
    }

    /// Applies `epilogue` to a finished `[m, n]` product `c` as a separate pass (the residual, if any, receives the
    /// result, as in the fused GEMM).
    static func unfused(_ epilogue: KernelEpilogue, _ c: UnsafeMutablePointer<Float>, m: Int, n: Int, threads: Int,
                        kernels: Kernels) {
        Parallel.split(m, parts: threads) { rows in
            let o = rows.lowerBound * n
            let e = epilogue.offset(by: o)
            kernels.rows(c + o, e.residual ?? c + o, rows: rows.count, cols: n, epilogue: e)
        }
    }
}

/// Entry points for tests of the GEMM kernels.
public enum GemmTesting {
    /// Packs `w` [n, k] and runs `kernels`' GEMM: `c[m, n] = a · wᵀ`, then `epilogue`.
    public static func ownKernel(_ w: [Float], n: Int, k: Int, a: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                                 m: Int, threads: Int, kernels: Kernels = .active, epilogue: KernelEpilogue = .none) {
        LinearWeight(w, n: n, k: k, engine: .cnzoo).apply(a, c, m: m, threads: threads, kernels: kernels,
                                                          epilogue: epilogue)
    }
}
