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

    /// The engine a model runs: OpenBLAS when asked for (an error when it cannot be loaded), cnzoo's otherwise.
    func resolved() throws -> GemmEngine {
        guard self == .openblas else { return .cnzoo }
        if let why = Gemm.unavailableReason { throw CNZooError(.usage, why) }
        return .openblas
    }
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

    /// `c[m, n] = a[m, k] · Wᵀ` then `epilogue` (residual laid out like `c`), split over `threads`; A and C
    /// row-major unless layouts are given.
    func apply(_ a: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, m: Int, threads: Int, kernels: Kernels,
               epilogue: KernelEpilogue = .none, aLayout: MatrixLayout? = nil, cLayout: MatrixLayout? = nil) {
        guard m > 0 else { return }
        let (n, k) = (self.n, self.k)
        let la = aLayout ?? .rowMajor(columns: k), lc = cLayout ?? .rowMajor(columns: n)
        guard let packed else {
            guard la == .rowMajor(columns: k) && lc == .rowMajor(columns: n) else {
                // OpenBLAS reads and writes row-major matrices: run it on row-major copies.
                let a2 = la.gather(a, rows: m, columns: k)
                var c2 = [Float](repeating: 0, count: m * n)
                var r2 = epilogue.residual.map { lc.gather($0, rows: m, columns: n) } ?? []
                c2.withUnsafeMutableBufferPointer { cp in
                    r2.withUnsafeMutableBufferPointer { rp in
                        var e = epilogue
                        e.residual = e.residual == nil ? nil : rp.baseAddress
                        apply(a2, cp.baseAddress!, m: m, threads: threads, kernels: kernels, epilogue: e)
                    }
                }
                lc.scatter(epilogue.residual == nil ? c2 : r2, into: epilogue.residual ?? c, rows: m, columns: n)
                return
            }
            plain.withUnsafeBufferPointer { Gemm.linear(a, $0.baseAddress!, c, m: m, n: n, k: k) }
            LinearWeight.unfused(epilogue, c, m: m, n: n, threads: threads, kernels: kernels)
            return
        }
        packed.withUnsafeBufferPointer { pw in
            let panels = (n + Int(CNZ_PANEL) - 1) / Int(CNZ_PANEL)
            // Every row task reads the whole weight, so row tasks get at least 96 rows (8 register blocks), about
            // four per thread; with fewer rows than that the output columns are split instead, so each thread
            // reads only its share of the weight (late stages at small batch).
            let groups = (m + 11) / 12
            let rowTasks = min(4 * threads, max(1, groups / 8))
            if rowTasks < 2 * threads && panels >= 2 * threads {
                Parallel.split(panels, parts: min(panels, 4 * threads), threads: threads) { p in
                    kernels.gemm(a, pw.baseAddress!, c, rows: m, n: n, k: k, panels: p, epilogue: epilogue,
                                 aLayout: la, cLayout: lc)
                }
                return
            }
            // Tasks of whole 12-row groups (each keeps the full register block), taken by whichever thread is free.
            Parallel.split(groups, parts: rowTasks, threads: threads) { g in
                let r0 = g.lowerBound * 12, r1 = min(m, g.upperBound * 12)
                guard r1 > r0 else { return }
                kernels.gemm(a + r0 * la.rowStride, pw.baseAddress!, c + r0 * lc.rowStride, rows: r1 - r0, n: n, k: k,
                             panels: 0..<panels, epilogue: epilogue.offset(by: r0 * lc.rowStride), aLayout: la,
                             cLayout: lc)
            }
        }
    }

    /// `output = fc2(fc1(input) → e1) → e2` for `[m, fc1.k]` input, one block of rows at a time: each task runs both
    /// layers on its rows, the hidden block in its thread's part of workspace buffer `slot`, where it stays in
    /// cache instead of making a round trip through memory (and the full `[m, fc1.n]` hidden activations are never
    /// allocated). `output` may be `input` (a block's input rows are consumed before its output rows are written).
    /// Returns false, doing nothing, when the rows are too few to make blocks that keep `threads` busy or when the
    /// weights are held for OpenBLAS; then run the two layers one after the other.
    static func chained(_ fc1: LinearWeight, _ e1: KernelEpilogue, _ fc2: LinearWeight, _ e2: KernelEpilogue,
                        input a: UnsafePointer<Float>, output c: UnsafeMutablePointer<Float>, m: Int, threads: Int,
                        kernels: Kernels, workspace: Workspace, slot: Int) -> Bool {
        precondition(fc1.n == fc2.k && e1.residual == nil, "chained layers: fc1's outputs feed fc2, no residual in between")
        guard let p1 = fc1.packed, let p2 = fc2.packed else { return false }
        let hidden = fc1.n
        // Blocks whose hidden part fills about 512 KiB (of a 1–2 MiB L2), at least 96 rows so the weights, which
        // every block reads again, are read at most once per 96 rows.
        let maxRows = max(96, 512 * 1024 / (hidden * 4) / 12 * 12)
        var tasks = (m + maxRows - 1) / maxRows
        guard tasks >= 2 * max(1, threads) else { return false }
        tasks = (tasks + threads - 1) / threads * threads  // a multiple of the threads, rows in whole 12-row groups
        let rows = ((m + tasks - 1) / tasks + 11) / 12 * 12
        tasks = (m + rows - 1) / rows
        let hl = MatrixLayout.rowMajorSpread(columns: hidden)
        let scratch = workspace.buffer(slot, max(1, threads) * rows * hl.rowStride)
        let panels1 = (hidden + Int(CNZ_PANEL) - 1) / Int(CNZ_PANEL), panels2 = (fc2.n + Int(CNZ_PANEL) - 1) / Int(CNZ_PANEL)
        p1.withUnsafeBufferPointer { w1 in
            p2.withUnsafeBufferPointer { w2 in
                Parallel.forEach(tasks, threads: threads) { task, thread in
                    let r0 = task * rows, r1 = min(m, r0 + rows)
                    let h = scratch + thread * rows * hl.rowStride
                    kernels.gemm(a + r0 * fc1.k, w1.baseAddress!, h, rows: r1 - r0, n: hidden, k: fc1.k,
                                 panels: 0..<panels1, epilogue: e1, cLayout: hl)
                    kernels.gemm(h, w2.baseAddress!, c + r0 * fc2.n, rows: r1 - r0, n: fc2.n, k: hidden,
                                 panels: 0..<panels2, epilogue: e2.offset(by: r0 * fc2.n), aLayout: hl)
                }
            }
        }
        return true
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
    /// Packs `w` [n, k] and runs `kernels`' GEMM: `c[m, n] = a · wᵀ`, then `epilogue`; A and C row-major unless
    /// layouts are given.
    public static func ownKernel(_ w: [Float], n: Int, k: Int, a: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                                 m: Int, threads: Int, kernels: Kernels = .active, epilogue: KernelEpilogue = .none,
                                 aLayout: MatrixLayout? = nil, cLayout: MatrixLayout? = nil) {
        LinearWeight(w, n: n, k: k, engine: .cnzoo).apply(a, c, m: m, threads: threads, kernels: kernels,
                                                          epilogue: epilogue, aLayout: aLayout, cLayout: cLayout)
    }
}
