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
        subcommands: [Inspect.self, List.self, Info.self, Fetch.self]
    )
}

/// The tool's version.
enum CNZooVersion {
    static let string = "0.1.0"
}
