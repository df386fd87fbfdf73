import ArgumentParser
import CNZooMapping

/// Options shared by subcommands that map names (convert, diff).
struct MappingOptionGroup: ParsableArguments {
    @Option(help: ArgumentHelp("Source naming convention (default: detected from names and shapes).",
                               valueName: Conventions.names.joined(separator: "|")))
    var from: String?

    @Flag(help: "Carry tensors that match nothing under their own names (and accept missing ones) instead of failing.")
    var allowUnmapped = false

    @Flag(help: "Keep optimizer state and bookkeeping tensors (dropped by default).")
    var keepOptimizer = false
}
