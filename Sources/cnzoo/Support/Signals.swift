import CNZooCore
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT / SIGTERM handling: remove every temporary output file, then exit 130 / 143. The handlers run on a
/// dispatch queue (not in signal context), so the cleanup may take locks and allocate.
enum Signals {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Installs the handlers (idempotent).
    static func installCleanupHandlers() {
        guard sources.isEmpty else { return }
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler {
                AtomicFileWriter.removeAllTemporaryFiles()
                fputs("\ncnzoo: interrupted; no partial output left behind\n", stderr)
                _exit(128 + sig)
            }
            src.resume()
            sources.append(src)
        }
    }
}
