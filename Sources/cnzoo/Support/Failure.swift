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

/// The `--json` failure document: `{"error": {"code", "message", "file", "tensor", "offset", "exit_code"}}`.
struct ErrorReport: Encodable {
    struct Detail: Encodable {
        let code: String
        let message: String
        @NullWhenAbsent var file: String?
        @NullWhenAbsent var tensor: String?
        @NullWhenAbsent var offset: Int?
        let exitCode: Int32
    }
    let error: Detail

    init(_ e: CNZooError) {
        error = Detail(code: e.code.rawValue, message: e.message, file: e.file, tensor: e.tensor, offset: e.offset,
                       exitCode: ExitStatus.code(for: e))
    }
}

/// Runs `body`; a failure is printed as `cnzoo: error: ...` on stderr (and, with `json`, as one `ErrorReport`
/// document on stdout) and becomes the matching exit code.
func reportingErrors<T>(json: Bool = false, _ body: () throws -> T) throws -> T {
    func fail(_ e: CNZooError) -> ExitCode {
        printError("cnzoo: error: \(e)")
        if json { try? Output.printJSON(ErrorReport(e)) }
        return ExitCode(ExitStatus.code(for: e))
    }
    do {
        return try body()
    } catch let e as CNZooError {
        throw fail(e)
    } catch let e as ExitCode {
        throw e
    } catch let e as CleanExit {
        throw e
    } catch {
        throw fail(CNZooError(.malformed, "\(error)"))
    }
}

/// Writes a line to stderr.
func printError(_ s: String) {
    var line = s
    line += "\n"
    fputs(line, stderr)
}
