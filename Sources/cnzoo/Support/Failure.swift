import ArgumentParser
import CNZooCore
#if canImport(Glibc)
import Glibc
#endif

/// cnzoo's exit codes, the same for every subcommand (documented in README.md and `cnzoo --help`).
enum ExitStatus {
    static let ok: Int32 = 0
    /// A check failed (verify, diff) or something unsafe was found (scan).
    static let checkFailed: Int32 = 1
    /// Usage or input error: unreadable, malformed, unsupported or unmappable input.
    static let inputError: Int32 = 2
    /// Output error: cannot write, or the output exists without --force.
    static let outputError: Int32 = 3
    /// Network error (fetch).
    static let networkError: Int32 = 4

    /// The exit code for an error.
    static func code(for error: CNZooError) -> Int32 {
        switch error.code {
        case .checkFailed, .unsafe: return checkFailed
        case .exists, .io: return outputError
        case .network: return networkError
        default: return inputError
        }
    }
}

/// Runs `body`; a `CNZooError` is printed as `cnzoo: error: ...` on stderr and becomes the matching exit code.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as CNZooError {
        printError("cnzoo: error: \(e)")
        throw ExitCode(ExitStatus.code(for: e))
    } catch let e as ExitCode {
        throw e
    } catch let e as CleanExit {
        throw e
    } catch {
        printError("cnzoo: error: \(error)")
        throw ExitCode(ExitStatus.inputError)
    }
}

/// Writes a line to stderr.
func printError(_ s: String) {
    var line = s
    line += "\n"
    fputs(line, stderr)
}
