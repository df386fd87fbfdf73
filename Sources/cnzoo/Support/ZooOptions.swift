import ArgumentParser
import CNZooCore
import CNZooZoo

/// Options shared by the zoo subcommands (`list`, `info`, `fetch`).
struct ZooOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Read the zoo manifests from this directory instead of the bundled Zoo/ (also: $CNZOO_ZOO_DIR).",
        valueName: "dir"))
    var manifestDir: String?

    /// The registry (manifests loaded, version-checked and validated).
    func registry() throws -> ZooRegistry {
        try ZooRegistry.load(directory: try ZooRegistry.locateDirectory(override: manifestDir))
    }

    /// The download cache (`$CNZOO_HOME`, else `$XDG_CACHE_HOME/cnzoo`, else `~/.cache/cnzoo`).
    var cache: ZooCache { ZooCache.fromEnvironment() }
}

extension ZooSource {
    /// The publisher part of the source id (`official` for `official-in22k-ft-in1k`).
    var publisher: String { String(id.split(separator: "-").first ?? Substring(id)) }
}
