import CNZooCore
import CNZooMapping
import Foundation

/// Where fetched checkpoints live: `$CNZOO_HOME`, else `$XDG_CACHE_HOME/cnzoo`, else `~/.cache/cnzoo`; each file at
/// `<root>/<entry id>/<source id>/<file name>`. A file appears there only complete and verified (it is renamed into
/// place); an interrupted download waits next to it as `<file name>.part` until a later fetch resumes it.
public struct ZooCache: Sendable {
    /// The cache root.
    public let root: String

    public init(root: String) { self.root = root }

    /// The cache chosen by the environment.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        -> ZooCache
    {
        if let home = environment["CNZOO_HOME"], !home.isEmpty { return ZooCache(root: home) }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return ZooCache(root: xdg + "/cnzoo") }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return ZooCache(root: home + "/.cache/cnzoo")
    }

    /// The directory holding `source` of `entry`.
    public func directory(entry: ZooEntry, source: ZooSource) -> String {
        "\(root)/\(entry.id)/\(source.id)"
    }

    /// The cached file of `source`, whether or not it exists; nil for a source without a file name.
    public func path(entry: ZooEntry, source: ZooSource) -> String? {
        source.fileName.map { directory(entry: entry, source: source) + "/" + $0 }
    }

    /// The sources of `entry` that have a complete file in the cache, with its path.
    public func cachedSources(of entry: ZooEntry) -> [(source: ZooSource, path: String)] {
        entry.sources.compactMap { s in
            guard let p = path(entry: entry, source: s), FileManager.default.fileExists(atPath: p) else { return nil }
            return (s, p)
        }
    }

    /// A cached checkpoint resolved from a zoo id.
    public struct Resolved: Sendable {
        public let entry: ZooEntry
        public let source: ZooSource
        public let path: String
    }

    /// Resolves `id` (optionally `source`, an id or a convention) to a file already in the cache, so other commands
    /// can take a zoo id where they take a path. Fails with `.notFound` saying which `cnzoo fetch` to run.
    public func resolve(_ id: String, source: String? = nil, in registry: ZooRegistry) throws -> Resolved {
        let entry = try registry.entry(id)
        let cached = cachedSources(of: entry)
        if let source {
            let wanted = try entry.source(matching: source)
            if let hit = cached.first(where: { $0.source.id == wanted.id }) {
                return Resolved(entry: entry, source: hit.source, path: hit.path)
            }
            throw CNZooError(.notFound, "\(id) (source \(wanted.id)) is not in the cache at \(root); "
                             + "run 'cnzoo fetch \(id) --source \(wanted.id)' first")
        }
        guard let first = cached.first else {
            throw CNZooError(.notFound, "\(id) is not in the cache at \(root); run 'cnzoo fetch \(id)' first")
        }
        return Resolved(entry: entry, source: first.source, path: first.path)
    }
}

extension ZooCache {
    /// `resolve` with the registry and cache the environment chooses (`--manifest-dir` / `$CNZOO_ZOO_DIR` / bundled
    /// `Zoo/`, and `$CNZOO_HOME` / XDG cache): the one call `verify` and `convert` need to accept a zoo id.
    public static func resolveCached(_ id: String, source: String? = nil, manifestDirectory: String? = nil,
                                     environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> Resolved
    {
        let dir = try ZooRegistry.locateDirectory(override: manifestDirectory, environment: environment)
        return try ZooCache.fromEnvironment(environment).resolve(id, source: source, in: try ZooRegistry.load(directory: dir))
    }
}

extension ZooEntry {
    /// The source called `name` (a source id, else the first source whose convention is `name`, spelled as any
    /// subcommand accepts it: `mindspore-vision` ≡ `mindvision`).
    public func source(matching name: String) throws -> ZooSource {
        if let s = sources.first(where: { $0.id == name }) { return s }
        let convention = Convention(parsing: name)?.rawValue ?? name.lowercased()
        if let s = sources.first(where: { $0.convention == convention }) { return s }
        throw CNZooError(.notFound, "\(id) has no source '\(name)' (sources: "
                         + sources.map(\.id).joined(separator: ", ") + ")")
    }

    /// The source `fetch` takes by default: the first downloadable one with a published hash, else the first
    /// downloadable one.
    public var defaultDownloadSource: ZooSource? {
        sources.first { $0.url != nil && $0.hashExpectation != .none } ?? sources.first { $0.url != nil }
    }
}
