import CNZooCore
import CNZooMindSpore

/// One entry point to read or write a checkpoint in any registered format (a façade over `Formats.all`).
public enum CheckpointIO {
    /// Reads `path` (a file, or a folder a folder format claims), choosing the reader by content. Returns the
    /// checkpoint and the detected format.
    public static func read(path: String, options: ReadOptions = ReadOptions()) throws -> (Checkpoint, DetectedFormat) {
        if FormatDetector.isDirectory(path) {
            guard let (match, plugin) = Formats.detect(FormatProbe(folder: path)) else {
                throw CNZooError(.unknownFormat, "a folder that no checkpoint format reads", file: path)
            }
            return (try plugin.read(.folder(path), options: options), match.detected)
        }
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch { throw CNZooError.wrap(error, file: path) }
        return try read(file: file, options: options)
    }

    /// Reads an already opened (or in-memory, `MappedFile(copying:)`) file, choosing the reader by content.
    public static func read(file: MappedFile, options: ReadOptions = ReadOptions()) throws -> (Checkpoint, DetectedFormat) {
        guard let (match, plugin) = Formats.detect(FormatProbe(bytes: file.bytes, path: file.path)) else {
            let expected = Formats.all.filter(\.canRead).map { "\($0.format) (.\($0.fileExtension))" }
                .joined(separator: ", ")
            throw CNZooError(.unknownFormat, "not a recognised checkpoint (expected one of: \(expected))",
                             file: file.path)
        }
        var ckpt = try plugin.read(.file(file), options: options)
        if match.detected == .safetensors, MindSporeFormat.isMindSporeSafeTensors(metadata: ckpt.metadata) {
            ckpt.notes.append("written by MindSpore (safetensors __metadata__ format \"ms\"); names follow MindSpore")
        }
        return (ckpt, match.detected)
    }

    /// Writes `checkpoint` to `path` in `format`, atomically.
    public static func write(_ checkpoint: Checkpoint, format: CheckpointFormat, to path: String,
                             options: WriteOptions = WriteOptions()) throws {
        guard let plugin = Formats.plugin(for: format) else {
            throw CNZooError(.unsupported, "no \(format) format is registered", file: path)
        }
        try plugin.write(checkpoint, to: path, options: options)
    }
}
