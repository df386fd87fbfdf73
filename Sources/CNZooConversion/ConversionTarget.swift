import CNZooCore
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
    /// A runnable ONNX model (graph + weights; written by CNZooONNX, not a checkpoint format).
    public static let onnx = ConversionTarget(rawValue: "onnx")
    public static let known: [ConversionTarget] = [.ms, .torch, .safetensors, .onnx]
    public static let aliases: [String: ConversionTarget] = [
        "mindspore": .ms, "ckpt": .ms, "pytorch": .torch, "pth": .torch, "pt": .torch, "st": .safetensors,
    ]

    /// The container format written.
    public var format: CheckpointFormat {
        switch self {
        case .ms: return .mindspore
        case .torch: return .pytorch
        default: return .safetensors
        }
    }

    /// The extension given to outputs when no path is named.
    public var fileExtension: String {
        switch self {
        case .ms: return "ckpt"
        case .torch: return "pth"
        case .onnx: return "onnx"
        default: return "safetensors"
        }
    }

    /// The convention written when none is named: MindSpore Vision names for ConvNeXt (MindCV for ConvMixer) in
    /// MindSpore files, torchvision (timm for ConvMixer) in PyTorch files, canonical names in safetensors. (ONNX
    /// initializers keep the source's convention unless one is named; `Converter` decides that.)
    public func defaultConvention(for family: Family) -> Convention {
        switch (self, family) {
        case (.ms, .convmixer): return "mindcv"
        case (.ms, _): return "mindvision"
        case (.torch, .convmixer): return "timm"
        case (.torch, _): return "torchvision"
        default: return "canonical"
        }
    }
}
