import CNZooCore
import Foundation

/// A Hugging Face model folder as `save_pretrained` (transformers) or `save_for_hf` (timm) writes it: `config.json`
/// plus one weight source — `model.safetensors`, `pytorch_model.bin`, or shards listed by
/// `model.safetensors.index.json` / `pytorch_model.bin.index.json`.
///
/// The folder module reads no tensor container itself: the registry hands it a `HuggingFaceFolder.Files` (read a file
/// by content, write a checkpoint in a format), so it depends on nothing but Core.
public struct HuggingFaceFolder: Sendable {
    /// How the folder reaches the file formats (given by the registry module).
    public struct Files: Sendable {
        /// Reads a file by content: its checkpoint and the format it is.
        public var read: @Sendable (String) throws -> (Checkpoint, CheckpointFormat)
        /// Writes a checkpoint in a format, atomically.
        public var write: @Sendable (Checkpoint, CheckpointFormat, String) throws -> Void

        public init(read: @escaping @Sendable (String) throws -> (Checkpoint, CheckpointFormat),
                    write: @escaping @Sendable (Checkpoint, CheckpointFormat, String) throws -> Void) {
            self.read = read
            self.write = write
        }
    }

    /// Where the weights are.
    public enum Weights: Sendable, Equatable {
        /// One file (`model.safetensors`, `pytorch_model.bin`).
        case single(String)
        /// An index (`model.safetensors.index.json`) and the shards it names, sorted.
        case sharded(index: String, shards: [String])
    }

    /// The single-file weight names, with the container each must be.
    public static let weightFiles: [(name: String, format: CheckpointFormat)] = [
        ("model.safetensors", .safetensors), ("pytorch_model.bin", .pytorch),
    ]
    /// The largest `config.json` or index read.
    public static let maxJSONBytes = 64 << 20

    /// The folder.
    public let path: String
    /// The container of the weight files.
    public let format: CheckpointFormat
    /// Where the weights are.
    public let weights: Weights
    /// `config.json`'s path, nil when the folder has none.
    public let config: String?

    /// The weight sources present in `folder` (file names), without validating them.
    public static func weightSources(in folder: String) -> [String] {
        let names = weightFiles.flatMap { [$0.name, $0.name + ".index.json"] }
        return names.filter { isFile(folder + "/" + $0) }
    }

    /// Whether `folder` looks like a model folder (a weight source or a `config.json`).
    public static func looksLikeModelFolder(_ folder: String) -> Bool {
        !weightSources(in: folder).isEmpty || isFile(folder + "/config.json")
    }

    /// Opens `folder`: exactly one weight source, and for an index, the shards it names (each inside the folder and
    /// present). Errors name the file at fault.
    public static func open(_ folder: String) throws -> HuggingFaceFolder {
        let sources = weightSources(in: folder)
        guard let source = sources.first else {
            throw CNZooError(.unknownFormat, "a model folder without weights: expected "
                             + weightFiles.map { "\($0.name) or \($0.name).index.json" }.joined(separator: ", or "),
                             file: folder)
        }
        guard sources.count == 1 else {
            throw CNZooError(.usage, "the folder holds \(sources.count) weight sources (\(sources.joined(separator: ", "))): "
                             + "give the one to read as the path instead of the folder", file: folder + "/" + sources[1])
        }
        let format = weightFiles.first { source.hasPrefix($0.name) }!.format
        let config = isFile(folder + "/config.json") ? folder + "/config.json" : nil
        guard source.hasSuffix(".index.json") else {
            return HuggingFaceFolder(path: folder, format: format, weights: .single(source), config: config)
        }
        let map = try weightMap(folder + "/" + source)
        var shards: [String] = []
        for (_, shard) in map.entries where !shards.contains(shard) {
            try checkShard(shard, folder: folder, index: source)
            shards.append(shard)
        }
        return HuggingFaceFolder(path: folder, format: format, weights: .sharded(index: source, shards: shards.sorted()),
                                 config: config)
    }

    /// Reads the folder: the weights (each shard mapped, its header parsed, tensor bytes left in place) checked
    /// against the index, and `config.json` recorded in the metadata (`HubMetadata`).
    public func read(files: Files) throws -> Checkpoint {
        var out: Checkpoint
        switch weights {
        case let .single(name):
            out = try readWeights(name, files: files)
            out.metadata[HubMetadata.weightsKey] = name
            out.notes.append("model folder: \(name)" + (config == nil ? " (no config.json)" : " + config.json"))
        case let .sharded(index, shards):
            out = try readShards(index: index, shards: shards, files: files)
            out.metadata[HubMetadata.weightsKey] = index
            out.notes.append("model folder: \(shards.count) shards listed by \(index)"
                             + (config == nil ? " (no config.json)" : " + config.json"))
        }
        if let config {
            let bytes = try Self.readJSON(config)
            out.metadata[HubMetadata.configKey] = String(decoding: bytes, as: UTF8.self)
            out.metadata[HubMetadata.configFileKey] = config
        }
        return out
    }

    private func readWeights(_ name: String, files: Files) throws -> Checkpoint {
        let file = path + "/" + name
        let (ckpt, found) = try files.read(file)
        guard found == format else {
            throw CNZooError(.malformed, "\(name) holds a \(found) checkpoint, not \(format)", file: file)
        }
        return ckpt
    }

    private func readShards(index: String, shards: [String], files: Files) throws -> Checkpoint {
        let indexPath = path + "/" + index
        let map = try Self.weightMap(indexPath)
        var listed: [String: String] = [:]
        for (name, shard) in map.entries { listed[name] = shard }
        var out = Checkpoint()
        var seen: [String: String] = [:]
        for shard in shards {
            let ckpt = try readWeights(shard, files: files)
            for t in ckpt.tensors {
                if let other = seen[t.name] {
                    throw CNZooError(.malformed, "tensor '\(t.name)' is in both \(other) and \(shard)",
                                     file: path + "/" + shard, tensor: t.name)
                }
                seen[t.name] = shard
                guard listed[t.name] == shard else {
                    throw CNZooError(.malformed, "\(shard) holds '\(t.name)', which \(index) "
                                     + (listed[t.name].map { "places in \($0)" } ?? "does not list"),
                                     file: indexPath, tensor: t.name)
                }
            }
            out.tensors += ckpt.tensors
            out.extras += ckpt.extras
            for (k, v) in ckpt.metadata where out.metadata[k] == nil { out.metadata[k] = v }
        }
        for (name, shard) in map.entries where seen[name] == nil {
            throw CNZooError(.malformed, "\(index) places '\(name)' in \(shard), which has no such tensor",
                             file: indexPath, tensor: name)
        }
        if let total = map.totalSize, total != out.byteCount {
            out.notes.append("\(index) gives total_size \(total); the shards hold \(out.byteCount) tensor bytes")
        }
        return out
    }

    /// An index's `weight_map` (tensor → shard file, in document order) and `metadata.total_size`.
    public static func weightMap(_ indexPath: String) throws -> (entries: [(String, String)], totalSize: Int?) {
        let bytes = try readJSON(indexPath)
        let json = try bytes.withUnsafeBytes { raw -> JSONValue in
            do { return try JSONParser.parse(raw) } catch let e as CNZooError {
                throw CNZooError(e.code, e.message, file: indexPath, offset: e.offset)
            }
        }
        guard case let .object(top) = json, case let .object(map)? = top.first(where: { $0.0 == "weight_map" })?.1 else {
            throw CNZooError(.malformed, "a shard index needs a \"weight_map\" object", file: indexPath)
        }
        var entries: [(String, String)] = []
        for (name, v) in map {
            guard case let .string(shard) = v else {
                throw CNZooError(.malformed, "weight_map entry '\(name)' is a \(v.typeName), not a file name",
                                 file: indexPath, tensor: name)
            }
            entries.append((name, shard))
        }
        var total: Int?
        if case let .object(meta)? = top.first(where: { $0.0 == "metadata" })?.1,
           case let .int(t)? = meta.first(where: { $0.0 == "total_size" })?.1 {
            total = Int(exactly: t)
        }
        return (entries, total)
    }

    /// A shard must be a plain file name (no `/`, not `..`) of a file in the folder. A symbolic link is followed: the
    /// Hugging Face cache's snapshot folders link every file to a blob elsewhere.
    static func checkShard(_ shard: String, folder: String, index: String) throws {
        let indexPath = folder + "/" + index
        guard !shard.isEmpty, !shard.contains("/"), !shard.contains("\0"), shard != ".", shard != ".." else {
            throw CNZooError(.malformed, "\(index) names the shard '\(shard)', which points outside the folder",
                             file: indexPath)
        }
        let full = folder + "/" + shard
        guard isFile(full) else {
            throw CNZooError(.malformed, "the shard \(shard) listed by \(index) is missing", file: full)
        }
    }

    static func readJSON(_ path: String) throws -> [UInt8] {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch { throw CNZooError.wrap(error, file: path) }
        guard file.size <= maxJSONBytes else {
            throw CNZooError(.malformed, "\(file.size) bytes is more JSON than a model folder file holds", file: path)
        }
        let bytes = file.copyBytes()
        try bytes.withUnsafeBytes { raw in
            do { _ = try JSONParser.parse(raw) } catch let e as CNZooError {
                throw CNZooError(e.code, e.message, file: path, offset: e.offset)
            }
        }
        return bytes
    }

    static func isFile(_ path: String) -> Bool {
        var dir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &dir) && !dir.boolValue
    }
}
