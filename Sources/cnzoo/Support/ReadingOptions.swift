import ArgumentParser
import CNZooCore

/// Options shared by every subcommand that reads a checkpoint.
struct ReadingOptions: ParsableArguments {
    @Option(help: "PyTorch: the top-level key holding the weights (model, state_dict, model_ema, state_dict_ema, module).")
    var key: String?

    @Flag(help: "PyTorch: strip DDP 'module.' and torch.compile '_orig_mod.' prefixes from tensor names.")
    var stripPrefixes = false

    @Flag(help: "PyTorch: check the CRC-32 of every zip entry (reads every byte; off by default, as in torch).")
    var verifyCrc = false

    var readOptions: ReadOptions {
        var options = ReadOptions(key: key, stripPrefixes: stripPrefixes)
        options.verifyCRC = verifyCrc
        return options
    }
}
