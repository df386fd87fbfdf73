import CNZooCore
import CNZooMindSpore
import CNZooONNX
import CNZooPyTorch
import CNZooSafeTensors

/// One entry point to read or write a checkpoint in any supported format.
public enum CheckpointIO {
    /// Reads `path`, choosing the reader by content. Returns the checkpoint and the detected format.
    public static func read(path: String, options: ReadOptions = ReadOptions()) throws -> (Checkpoint, DetectedFormat) {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch { throw CNZooError.wrap(error, file: path) }
        return try read(file: file, options: options)
    }

    /// Reads an already opened (or in-memory, `MappedFile(copying:)`) file, choosing the reader by content.
    public static func read(file: MappedFile, options: ReadOptions = ReadOptions()) throws -> (Checkpoint, DetectedFormat) {
        let path = file.path
        let format = FormatDetector.detect(file.bytes)
        switch format {
        case .safetensors:
            var ckpt = try SafeTensors.read(file: file)
            if MindSporeFormat.isMindSporeSafeTensors(metadata: ckpt.metadata) {
                ckpt.notes.append("written by MindSpore (safetensors __metadata__ format \"ms\"); names follow MindSpore")
            }
            return (ckpt, format)
        case .mindspore:
            return (try MindSporeFormat.read(file: file), format)
        case .pytorchZip, .pytorchLegacy, .pickle:
            return (try PyTorchFormat.read(file: file, options: options), format)
        case .onnx:
            return (try ONNXFormat.read(file: file), format)
        case .unknown:
            throw CNZooError(.unknownFormat,
                             "not a recognised checkpoint (expected safetensors, a PyTorch .pth zip, a MindSpore .ckpt or .npy)",
                             file: path)
        default:
            throw CNZooError(.unsupported, "\(format.rawValue) files are recognised but not readable yet", file: path)
        }
    }

    /// Writes `checkpoint` to `path` in `format`, atomically.
    public static func write(_ checkpoint: Checkpoint, format: CheckpointFormat, to path: String,
                             options: WriteOptions = WriteOptions()) throws {
        switch format {
        case .safetensors:
            try SafeTensors.write(checkpoint, to: path, options: options)
        case .pytorch:
            try PyTorchFormat.write(checkpoint, to: path, options: options)
        case .mindspore:
            try MindSporeFormat.write(checkpoint, to: path, options: options)
        default:
            throw CNZooError(.unsupported, "writing \(format.rawValue) is not implemented yet", file: path)
        }
    }
}
