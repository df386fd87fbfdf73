import CNZooCore
import CNZooHuggingFace
import CNZooKeras
import CNZooMindSpore
import CNZooNumPy
import CNZooONNX
import CNZooPyTorch
import CNZooSafeTensors

/// The format registry: every format cnzoo knows, one line each. Adding a format is one module with a
/// `FormatPlugin` plus one line here (see docs/architecture.md, "Formats").
public enum Formats {
    /// Every format plug-in. Detection takes the strongest claim; ties go to the earlier entry.
    public static let all: [any FormatPlugin] = [
        SafeTensorsPlugin(),
        PyTorchPlugin(),
        MindSporePlugin(),
        NumPyPlugin(),
        NpzPlugin(),
        KerasPlugin(),
        ONNXPlugin(),
        HuggingFacePlugin(files: huggingFaceFiles),
    ]

    /// How a Hugging Face model folder reads and writes its weight files: through this registry.
    public static let huggingFaceFiles = HuggingFaceFolder.Files(
        read: { path in
            let (ckpt, detected) = try CheckpointIO.read(path: path)
            return (ckpt, detected.checkpointFormat ?? CheckpointFormat(rawValue: detected.rawValue))
        },
        write: { ckpt, format, path in try CheckpointIO.write(ckpt, format: format, to: path) })

    /// The plug-in for `format`, nil if none is registered.
    public static func plugin(for format: CheckpointFormat) -> (any FormatPlugin)? {
        all.first { $0.format == format }
    }

    /// The formats `CheckpointIO.write` can produce, in registry order.
    public static var writable: [CheckpointFormat] { all.filter(\.canWrite).map(\.format) }

    /// The strongest claim on `probe` among `plugins` (default: the registry) and the plug-in that made it, nil when
    /// none recognises it. Ties go to the earlier plug-in.
    public static func detect(_ probe: FormatProbe,
                              among plugins: [any FormatPlugin] = all) -> (match: FormatMatch, plugin: any FormatPlugin)? {
        var best: (match: FormatMatch, plugin: any FormatPlugin)?
        for p in plugins {
            guard let m = p.detect(probe) else { continue }
            if best == nil || m.strength > best!.match.strength { best = (m, p) }
        }
        return best
    }
}
