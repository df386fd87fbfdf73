import CNZooCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Matrix products through OpenBLAS `cblas_sgemm` (row-major), the optional fallback engine (`--gemm openblas`).
///
/// OpenBLAS is loaded with `dlopen` the first time something here needs it, not linked: once loaded it starts a
/// thread per core that spins for about 0.1 s, which cost every command (`convert` included) CPU time on small
/// machines although the default engine never calls it. Programs that never use it do not need it installed.
public enum Gemm {
    /// `C[M,N] = A[M,K] · W[N,K]ᵀ` — a linear layer with a PyTorch-layout weight (out × in), no copy of W.
    /// OpenBLAS must be available (`isAvailable`).
    public static func linear(_ a: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                              m: Int, n: Int, k: Int) {
        guard m > 0, n > 0, k > 0 else { return }
        guard let blas = OpenBLAS.shared else { preconditionFailure(OpenBLAS.missing) }
        ForkGuard.computing {  // OpenBLAS's fork handler deadlocks with a call in flight
            blas.sgemm(OpenBLAS.rowMajor, OpenBLAS.noTrans, OpenBLAS.trans, Int32(m), Int32(n), Int32(k), 1, a,
                       Int32(k), w, Int32(k), 0, c, Int32(n))
        }
    }

    /// Whether OpenBLAS can be loaded here (loads it).
    public static var isAvailable: Bool { OpenBLAS.shared != nil }

    /// Why OpenBLAS is unusable here, for an error message (nil when it loads).
    public static var unavailableReason: String? { isAvailable ? nil : OpenBLAS.missing }

    /// Sets OpenBLAS's thread count (applied when OpenBLAS is loaded, now if it already is).
    public static func setThreads(_ n: Int) { OpenBLAS.request(threads: max(1, n)) }

    /// OpenBLAS's current thread count (loads it; 1 when it is not available).
    public static var threads: Int { OpenBLAS.shared.map { Int($0.getThreads()) } ?? 1 }

    /// The kernel OpenBLAS picked for this CPU (`Haswell`, `Cooperlake`, ...; it honours `OPENBLAS_CORETYPE`), or
    /// `unavailable`. Reading it loads OpenBLAS.
    public static var coreName: String {
        guard let blas = OpenBLAS.shared, let p = blas.coreName() else { return "unavailable" }
        return String(cString: p)
    }
}

/// The entry points cnzoo uses from a `dlopen`ed OpenBLAS (LP64 build: 32-bit integers, as Debian's
/// libopenblas0 ships it).
private struct OpenBLAS: @unchecked Sendable {
    typealias SGEMM = @convention(c) (Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
                                      UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    let sgemm: SGEMM
    let setThreads: @convention(c) (Int32) -> Void
    let getThreads: @convention(c) () -> Int32
    let coreName: @convention(c) () -> UnsafeMutablePointer<CChar>?

    // CBLAS enum values (cblas.h).
    static let rowMajor: Int32 = 101, noTrans: Int32 = 111, trans: Int32 = 112
    static let sonames = ["libopenblas.so.0", "libopenblas.so"]
    static let missing = "OpenBLAS is not installed (libopenblas.so.0; Debian: libopenblas0): use the default "
        + "--gemm cnzoo, or install it for --gemm openblas"

    /// Guards `requested` and `loaded`.
    nonisolated(unsafe) private static let lock: UnsafeMutablePointer<pthread_mutex_t> = {
        let l = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(l, nil)
        return l
    }()
    /// The thread count `Gemm.setThreads` asked for last.
    nonisolated(unsafe) private static var requested: Int32?
    /// The library once `shared` has loaded it (read without loading it).
    nonisolated(unsafe) private static var loaded: OpenBLAS?

    private static func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return body()
    }

    /// Records the thread count and applies it if the library is loaded.
    static func request(threads: Int) {
        locked {
            requested = Int32(threads)
            loaded?.setThreads(Int32(threads))
        }
    }

    /// The library, loaded on first use (nil when it is not installed).
    static let shared: OpenBLAS? = {
        guard let handle = sonames.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_LOCAL) }).first,
              let sgemm = dlsym(handle, "cblas_sgemm"), let set = dlsym(handle, "openblas_set_num_threads"),
              let get = dlsym(handle, "openblas_get_num_threads"), let core = dlsym(handle, "openblas_get_corename")
        else { return nil }
        let blas = OpenBLAS(sgemm: unsafeBitCast(sgemm, to: SGEMM.self),
                            setThreads: unsafeBitCast(set, to: (@convention(c) (Int32) -> Void).self),
                            getThreads: unsafeBitCast(get, to: (@convention(c) () -> Int32).self),
                            coreName: unsafeBitCast(core, to: (@convention(c) () -> UnsafeMutablePointer<CChar>?).self))
        locked {
            if let n = requested { blas.setThreads(n) }
            loaded = blas
        }
        return blas
    }()
}
