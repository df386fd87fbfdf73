import CNZooCore
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// What a model folder output holds beyond the tensors.
public struct HuggingFaceFolderOutput: Sendable {
    /// The weight container: `.safetensors` (`model.safetensors`) or `.pytorch` (`pytorch_model.bin`).
    public var format: CheckpointFormat
    /// The `config.json` to write (`HubConfig.transformersConfig` in CNZooMapping).
    public var config: JSONValue
    /// Split the weights into shards of at most this many tensor bytes (a bigger tensor gets a shard of its own),
    /// listed by `<weights>.index.json`; nil: one file.
    public var maxShardSize: Int?

    public init(format: CheckpointFormat, config: JSONValue, maxShardSize: Int? = nil) {
        self.format = format
        self.config = config
        self.maxShardSize = maxShardSize
    }
}

extension HuggingFaceFolder {
    /// The weight file name for `format` (`model.safetensors`, `pytorch_model.bin`).
    public static func weightFile(_ format: CheckpointFormat) throws -> String {
        guard let name = weightFiles.first(where: { $0.format == format })?.name else {
            throw CNZooError(.usage, "a Hugging Face model folder holds safetensors or pytorch weights, not \(format)")
        }
        return name
    }

    /// The file names `transformers` gives `count` shards: `model-00001-of-00004.safetensors`,
    /// `pytorch_model-00001-of-00004.bin`.
    public static func shardNames(_ format: CheckpointFormat, count: Int) throws -> [String] {
        let file = try weightFile(format)
        let dot = file.lastIndex(of: ".")!
        let (stem, ext) = (file[..<dot], file[dot...])
        func five(_ n: Int) -> String { String(repeating: "0", count: max(0, 5 - String(n).count)) + String(n) }
        return (1...max(1, count)).map { "\(stem)-\(five($0))-of-\(five(count))\(ext)" }
    }

    /// Splits `tensors` in order into shards of at most `max` bytes, as transformers does (a tensor larger than
    /// `max` is a shard of its own).
    public static func shards(_ tensors: [TensorEntry], max: Int) -> [[TensorEntry]] {
        var out: [[TensorEntry]] = []
        var current: [TensorEntry] = []
        var size = 0
        for t in tensors {
            if !current.isEmpty && size + t.byteCount > max {
                out.append(current)
                current = []
                size = 0
            }
            current.append(t)
            size += t.byteCount
        }
        if !current.isEmpty || out.isEmpty { out.append(current) }
        return out
    }

    /// Writes `checkpoint` as a model folder at `dir`: the weights (one file, or shards plus their index) and
    /// `config.json`. Everything is written into a hidden folder beside `dir` and renamed into place at the end, so
    /// `dir` is either untouched or complete; an existing `dir` is replaced only with `overwrite`. Returns the file
    /// names written, sorted.
    @discardableResult
    public static func write(_ checkpoint: Checkpoint, _ output: HuggingFaceFolderOutput, to dir: String,
                             overwrite: Bool, files: Files) throws -> [String] {
        let dir = dir.count > 1 && dir.hasSuffix("/") ? String(dir.dropLast()) : dir
        let exists = FileManager.default.fileExists(atPath: dir)
        if exists && !overwrite {
            throw CNZooError(.exists, "the output folder exists (use --force to replace it)", file: dir)
        }
        let url = URL(fileURLWithPath: dir)
        let parent = url.deletingLastPathComponent().path
        let staging = parent + "/." + url.lastPathComponent + ".cnzoo-tmp-\(getpid())"
        try? FileManager.default.removeItem(atPath: staging)
        do { try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false) } catch {
            throw CNZooError.wrap(error, file: staging)
        }
        AtomicFileWriter.trackTemporaryFolder(staging)  // removed if the run is interrupted
        var committed = false
        defer {
            if !committed { try? FileManager.default.removeItem(atPath: staging) }
            AtomicFileWriter.forgetTemporaryFolder(staging)
        }

        let groups = output.maxShardSize.map { shards(checkpoint.tensors, max: $0) } ?? [checkpoint.tensors]
        var written: [String] = []
        if groups.count == 1 {
            let name = try weightFile(output.format)
            try files.write(checkpoint, output.format, staging + "/" + name)
            written.append(name)
        } else {
            let names = try shardNames(output.format, count: groups.count)
            var map: [(String, String)] = []
            for (group, name) in zip(groups, names) {
                var shard = checkpoint
                shard.tensors = group
                try files.write(shard, output.format, staging + "/" + name)
                map += group.map { ($0.name, name) }
                written.append(name)
            }
            let index = JSONValue.object([
                ("metadata", .object([("total_size", .int(Int64(checkpoint.byteCount)))])),
                ("weight_map", .object(map.sorted { $0.0 < $1.0 }.map { ($0.0, .string($0.1)) })),
            ])
            let indexName = try weightFile(output.format) + ".index.json"
            try writeJSON(index, to: staging + "/" + indexName)
            written.append(indexName)
        }
        try writeJSON(output.config, to: staging + "/config.json")
        written.append("config.json")

        if exists {
            let old = parent + "/." + url.lastPathComponent + ".cnzoo-old-\(getpid())"
            try? FileManager.default.removeItem(atPath: old)
            guard rename(dir, old) == 0 else {
                throw CNZooError(.io, "cannot move the existing output aside: \(String(cString: strerror(errno)))", file: dir)
            }
            guard rename(staging, dir) == 0 else {
                let reason = String(cString: strerror(errno))
                _ = rename(old, dir)
                throw CNZooError(.io, "cannot move the new folder into place: \(reason)", file: dir)
            }
            try? FileManager.default.removeItem(atPath: old)
        } else {
            guard rename(staging, dir) == 0 else {
                throw CNZooError(.io, "cannot move the new folder into place: \(String(cString: strerror(errno)))",
                                 file: dir)
            }
        }
        committed = true
        return written.sorted()
    }

    /// Writes `value` as indented JSON (two spaces, keys in the order given) plus a newline, atomically.
    static func writeJSON(_ value: JSONValue, to path: String) throws {
        let w = try AtomicFileWriter(path: path, overwrite: false)
        try w.write(pretty(value, indent: "") + "\n")
        try w.commit()
    }

    /// `value` as JSON with two-space indentation.
    public static func pretty(_ value: JSONValue, indent: String = "") -> String {
        let inner = indent + "  "
        switch value {
        case let .array(a) where !a.isEmpty:
            return "[\n" + a.map { inner + pretty($0, indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case let .object(m) where !m.isEmpty:
            return "{\n" + m.map { k, v in
                var key = ""
                JSONValue.writeString(k, into: &key)
                return inner + key + ": " + pretty(v, indent: inner)
            }.joined(separator: ",\n") + "\n\(indent)}"
        default:
            return value.serialized()
        }
    }
}

extension HuggingFaceFolderOutput {
    /// Parses a shard size as transformers spells it: bytes (`4096`), or a number with `KB`/`MB`/`GB` (powers of
    /// 1000) or `KiB`/`MiB`/`GiB` (powers of 1024).
    public static func parseSize(_ text: String) throws -> Int {
        let units: [(String, Int)] = [("KIB", 1 << 10), ("MIB", 1 << 20), ("GIB", 1 << 30), ("KB", 1_000),
                                      ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1)]
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let (unit, scale) = units.first { t.hasSuffix($0.0) } ?? ("", 1)
        guard let n = Int(t.dropLast(unit.count).trimmingCharacters(in: .whitespaces)), n > 0,
              n <= Int.max / scale else {
            throw CNZooError(.usage, "--max-shard-size '\(text)': expected a positive size such as 5GB, 500MB, 40KiB or 4096")
        }
        return n * scale
    }
}
