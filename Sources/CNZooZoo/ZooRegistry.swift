import CNZooCore
import CNZooEmbeddedData
import CNZooMapping
import Foundation

/// The zoo: every entry of every `*.json` manifest in one directory (`Zoo/` in the repository, built into the binary
/// as ``builtInDirectory``), decoded, version checked and validated.
public struct ZooRegistry: Sendable {
    /// The directory the manifests were read from.
    public let directory: String
    /// The manifests, by file path, in file-name order.
    public let manifests: [(path: String, manifest: ZooManifest)]

    /// Every entry, in manifest order.
    public var entries: [ZooEntry] { manifests.flatMap(\.manifest.entries) }

    /// The environment variable that points cnzoo at another manifest directory (tests, private zoos).
    public static let directoryEnvironmentKey = "CNZOO_ZOO_DIR"

    /// The manifests built into the binary at build time from the repository's `Zoo/` (`<built-in>/Zoo`): what
    /// cnzoo reads unless `--manifest-dir` or `$CNZOO_ZOO_DIR` says otherwise.
    public static let builtInDirectory = EmbeddedFiles.path("Zoo")

    /// Loads every `*.json` file in `directory` except `schema.json`; `directory` may be ``builtInDirectory``.
    public static func load(directory: String, highestSupportedVersion: Int = ManifestVersion.highestSupported)
        throws -> ZooRegistry
    {
        let names: [String]
        if EmbeddedFiles.isEmbedded(directory) {
            guard let embedded = EmbeddedFiles.fileNames(inDirectory: directory) else {
                throw CNZooError(.notFound, "no zoo manifests were built into this binary", file: directory)
            }
            names = embedded
        } else {
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: directory)
            } catch {
                throw CNZooError(.unreadable, "cannot list the zoo manifest directory", file: directory, cause: error)
            }
        }
        let files = names.filter { $0.hasSuffix(".json") && $0 != "schema.json" }.sorted()
        guard !files.isEmpty else {
            throw CNZooError(.notFound, "no zoo manifests (*.json) in this directory", file: directory)
        }
        var loaded: [(String, ZooManifest)] = []
        for f in files {
            let path = (directory as NSString).appendingPathComponent(f)
            loaded.append((path, try loadManifest(path: path, highestSupportedVersion: highestSupportedVersion)))
        }
        let registry = ZooRegistry(directory: directory, manifests: loaded)
        try registry.validateAcrossManifests()
        return registry
    }

    /// Reads, version-checks, decodes and validates one manifest file (a built-in one when `path` is under
    /// ``builtInDirectory``).
    public static func loadManifest(path: String, highestSupportedVersion: Int = ManifestVersion.highestSupported)
        throws -> ZooManifest
    {
        let data = try readFile(path, what: "zoo manifest")
        return try decodeManifest(data, file: path, highestSupportedVersion: highestSupportedVersion)
    }

    /// The bytes of a file of the zoo directory: built into the binary when `path` is under ``builtInDirectory``,
    /// else read from disk. `what` names the file in errors ("zoo manifest").
    static func readFile(_ path: String, what: String) throws -> Data {
        if EmbeddedFiles.isEmbedded(path) {
            guard let bytes = EmbeddedFiles.contents(atPath: path) else {
                throw CNZooError(.notFound, "no such \(what) was built into this binary", file: path)
            }
            return Data(bytes)
        }
        do {
            return Data(try MappedFile(path: path).copyBytes())
        } catch {
            throw CNZooError(.unreadable, "cannot read the \(what)", file: path, cause: error)
        }
    }

    /// Decodes a manifest from JSON bytes: the version is read and checked first, so a newer file is refused with a
    /// version message rather than a confusing field error.
    public static func decodeManifest(_ data: Data, file: String,
                                      highestSupportedVersion: Int = ManifestVersion.highestSupported) throws
        -> ZooManifest
    {
        struct VersionProbe: Decodable { let version: Int? }
        let decoder = JSONDecoder()
        let probe: VersionProbe
        do {
            probe = try decoder.decode(VersionProbe.self, from: data)
        } catch {
            throw CNZooError(.malformed, "not a zoo manifest: \(describe(error))", file: file)
        }
        guard let version = probe.version else {
            throw CNZooError(.malformed, "zoo manifest has no integer 'version' field", file: file)
        }
        try ManifestVersion.check(version, file: file, highest: highestSupportedVersion)
        let manifest: ZooManifest
        do {
            manifest = try decoder.decode(ZooManifest.self, from: data)
        } catch {
            throw CNZooError(.malformed, "invalid zoo manifest: \(describe(error))", file: file)
        }
        try ZooValidator.validate(manifest, file: file)
        return manifest
    }

    /// The entry called `id`; an unknown id fails with the closest known ids.
    public func entry(_ id: String) throws -> ZooEntry {
        if let e = entries.first(where: { $0.id == id }) { return e }
        let near = entries.map(\.id).filter { $0.hasPrefix(id) || id.hasPrefix($0) || $0.contains(id) }
        let hint = near.isEmpty ? "run 'cnzoo list' for the ids" : "did you mean: " + near.prefix(5).joined(separator: ", ")
        throw CNZooError(.notFound, "no zoo entry '\(id)' (\(hint))")
    }

    /// Entries of one family (all when `family` is nil).
    public func entries(family: String?) -> [ZooEntry] {
        guard let family else { return entries }
        return entries.filter { $0.family == family.lowercased() }
    }

    private func validateAcrossManifests() throws {
        var seen: [String: String] = [:]
        for (path, m) in manifests {
            for e in m.entries {
                if let other = seen[e.id] {
                    throw CNZooError(.malformed, "entry id '\(e.id)' is also defined in \(other)", file: path)
                }
                seen[e.id] = path
            }
        }
    }

    /// Where the manifests are: `override` (`--manifest-dir`), else `$CNZOO_ZOO_DIR`, else the manifests built into
    /// the binary (``builtInDirectory``), so an installed or copied `cnzoo` needs no data files beside it.
    public static func locateDirectory(override: String?, environment: [String: String] =
                                       ProcessInfo.processInfo.environment) throws -> String {
        if let override { return override }
        if let env = environment[directoryEnvironmentKey], !env.isEmpty { return env }
        return builtInDirectory
    }

    private static func describe(_ error: any Error) -> String {
        guard let e = error as? DecodingError else { return "\(error)" }
        func path(_ ctx: DecodingError.Context) -> String {
            let p = ctx.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return p.isEmpty ? "" : " at \(p.hasPrefix(".") ? String(p.dropFirst()) : p)"
        }
        switch e {
        case .keyNotFound(let key, let ctx): return "missing required field '\(key.stringValue)'\(path(ctx))"
        case .typeMismatch(let type, let ctx): return "wrong type\(path(ctx)): expected \(type)"
        case .valueNotFound(let type, let ctx): return "null where \(type) is required\(path(ctx))"
        case .dataCorrupted(let ctx):
            return ctx.debugDescription + path(ctx)
        @unknown default: return "\(error)"
        }
    }
}
