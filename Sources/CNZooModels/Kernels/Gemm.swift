import CNZooCore
import COpenBLAS

/// Matrix products through OpenBLAS `cblas_sgemm` (row-major).
public enum Gemm {
    /// `C[M,N] = A[M,K] · W[N,K]ᵀ` — a linear layer with a PyTorch-layout weight (out × in), no copy of W.
    public static func linear(_ a: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                              m: Int, n: Int, k: Int) {
        guard m > 0, n > 0, k > 0 else { return }
        ForkGuard.computing {  // OpenBLAS's fork handler deadlocks with a call in flight
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), w,
                        Int32(k), 0, c, Int32(n))
        }
    }

    /// Sets OpenBLAS's thread count.
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }

    /// OpenBLAS's current thread count.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// The kernel OpenBLAS picked for this CPU (`Haswell`, `Cooperlake`, ...); it honours `OPENBLAS_CORETYPE`.
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }
}
