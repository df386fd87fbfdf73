import ArgumentParser
import CNZooConversion
import CNZooCore
import CNZooMapping

/// `--from`: the source naming convention, for every subcommand that maps names.
struct SourceConventionOption: ParsableArguments {
    @Option(help: ArgumentHelp("Source naming convention (default: detected from names and shapes; "
                               + "\(Convention.aliasHelp)).", valueName: "convention"))
    var from: Convention?

    /// The spelling before `--from` existed on forward and verify; kept so scripts keep working.
    @Option(name: .customLong("convention"), help: .hidden)
    var legacyConvention: Convention?

    /// `--from`, or the legacy `--convention` where a command used it for the source.
    var source: Convention? { from ?? legacyConvention }
}

/// Options shared by subcommands that map names (convert, diff).
struct MappingOptionGroup: ParsableArguments {
    @Option(help: ArgumentHelp("Source naming convention (default: detected from names and shapes; "
                               + "\(Convention.aliasHelp)).", valueName: "convention"))
    var from: Convention?

    @Flag(help: "Carry tensors that match nothing under their own names (and accept missing ones) instead of failing.")
    var allowUnmapped = false

    @Flag(help: "Keep optimizer state and bookkeeping tensors (dropped by default).")
    var keepOptimizer = false

    @Option(help: ArgumentHelp("Remove this wrapper prefix from every tensor name that carries it (e.g. backbone.).",
                               valueName: "prefix"))
    var stripPrefix: String?

    /// The library's load options for these flags and `reading`.
    func loadOptions(_ reading: ReadingOptions) -> LoadOptions {
        var options = LoadOptions(read: reading.readOptions, from: from, allowUnmapped: allowUnmapped,
                                  keepOptimizer: keepOptimizer)
        options.stripPrefix = stripPrefix
        return options
    }
}
