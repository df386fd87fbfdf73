import ArgumentParser
import CNZooCore

/// Options shared by every subcommand that reads a checkpoint.
struct ReadingOptions: ParsableArguments {
    @Option(help: "PyTorch: the top-level key holding the weights (model, state_dict, model_ema, state_dict_ema, module).")
    var key: String?

    @Flag(help: "PyTorch: strip DDP 'module.' and torch.compile '_orig_mod.' prefixes from tensor names.")
    var stripPrefixes = false

    var readOptions: ReadOptions { ReadOptions(key: key, stripPrefixes: stripPrefixes) }
}
