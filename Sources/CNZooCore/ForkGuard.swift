#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps `fork()` and OpenBLAS computations apart. OpenBLAS registers a `pthread_atfork` handler that shuts its
/// worker threads down before every fork; when another thread is inside a BLAS call at that moment the handler and
/// the call wait on each other forever. cnzoo forks to isolate libhdf5 (`HDF5Reader`), so a Keras read beside an
/// OpenBLAS-engine forward pass in the same process (the library used from several threads, or the test runner)
/// could hang. BLAS calls hold this lock shared (they still run side by side); a fork holds it exclusively, so it
/// starts only when no BLAS call is in flight.
public enum ForkGuard {
    nonisolated(unsafe) private static let lock: UnsafeMutablePointer<pthread_rwlock_t> = {
        let l = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
        pthread_rwlock_init(l, nil)
        return l
    }()

    /// Runs `body`, a computation that must not be under way while the process forks (an OpenBLAS call).
    public static func computing<T>(_ body: () throws -> T) rethrows -> T {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    /// Runs `body`, which forks, once no guarded computation is under way; none starts until it returns.
    public static func forking<T>(_ body: () throws -> T) rethrows -> T {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }
}
