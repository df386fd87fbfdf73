import CNZooCore
import CNZooFormats
import CNZooMapping

/// A format `convert` can write, as named on the command line (`ms`, `torch`, `safetensors`), with the file
/// extension and the naming convention it gets when the user names none. The only place that chooses defaults for
/// outputs.
public struct ConversionTarget: VocabularyTerm {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let vocabularyName = "target format"

    public static let ms = ConversionTarget(rawValue: "ms")
    public static let torch = ConversionTarget(rawValue: "torch")
    public static let safetensors = ConversionTarget(rawValue: "safetensors")
    /// Keras 3 `.weights.h5` (the Keras format plug-in).
    public static let keras = ConversionTarget(rawValue: "keras")
    /// A runnable ONNX model: not a checkpoint writer (it needs the source's architecture and numerics), so it is
    /// listed here and written by `ONNXExport` through `Converter`.
    public static let onnx = ConversionTarget(rawValue: "onnx")

    /// The CLI's short names for formats whose registry name is longer.
    private static let shortNames: [CheckpointFormat: ConversionTarget] = [.mindspore: .ms, .pytorch: .torch, .hdf5: .keras]

    /// Every format the registry can write, under its CLI name (`ms`, `torch`, then the others by format name). A
    /// new writable format plug-in becomes a `--to` target with no line here.
    public static var known: [ConversionTarget] {
        Formats.writable.map { shortNames[$0] ?? ConversionTarget(rawValue: $0.rawValue) } + [.onnx]
    }

    public static let aliases: [String: ConversionTarget] = [
        "mindspore": .ms, "ckpt": .ms, "pytorch": .torch, "pth": .torch, "pt": .torch, "st": .safetensors,
    ]

    /// The container format written.
    public var format: CheckpointFormat {
        Self.shortNames.first { $0.value == self }?.key ?? CheckpointFormat(rawValue: rawValue)
    }

    /// The extension given to outputs when no path is named (the format plug-in's).
    public var fileExtension: String { Formats.plugin(for: format)?.fileExtension ?? rawValue }

    /// The convention written when none is named: MindSpore Vision names for ConvNeXt (MindCV for ConvMixer) in
    /// MindSpore files, torchvision (timm for ConvMixer) in PyTorch files, the convention named like the format
    /// where there is one (`keras`), canonical names otherwise.
    public func defaultConvention(for family: Family) -> Convention {
        switch (self, family) {
        case (.ms, .convmixer): return "mindcv"
        case (.ms, _): return "mindvision"
        case (.torch, .convmixer): return "timm"
        case (.torch, _): return "torchvision"
        default:
            return Conventions.convention(Convention(rawValue: rawValue)) != nil ? Convention(rawValue: rawValue) : "canonical"
        }
    }
}
