import CNZooCore
import ArgumentParser

/// The `cnzoo` command: a thin front end over the CNZoo library. Each subcommand lives in `Subcommands/`.
@main
struct CNZooCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cnzoo",
        abstract: "Move ConvNeXt / ConvMixer checkpoints between PyTorch, MindSpore and safetensors, and keep a zoo of them.",
        discussion: """
        Exit codes: 0 ok; 1 a check failed or something unsafe was found; 2 usage or input error \
        (unreadable, malformed or unsupported file); 3 output error (cannot write, file exists); \
        4 network error.
        """,
        version: CNZooVersion.string,
        subcommands: [Inspect.self, Scan.self, Convert.self, Diff.self, Forward.self, VerifyCommand.self,
                      List.self, Info.self, Fetch.self]
    )

    static func main() {
        Signals.installCleanupHandlers()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            // Usage errors exit 2 like every other input error (ArgumentParser's default would be 64); with --json
            // they are one error document on stdout too, like every other failure.
            if exitCode(for: error) == .validationFailure {
                printError(fullMessage(for: error))
                if CommandLine.arguments.dropFirst().contains("--json") {
                    try? Output.printJSON(ErrorReport(CNZooError(.usage, message(for: error))))
                }
                exit(withError: ExitCode(ExitStatus.inputError))
            }
            exit(withError: error)
        }
    }
}
