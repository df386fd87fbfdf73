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
    private static let shortNames: [CheckpointFormat: ConversionTarget] = [.mindspore: .ms, .pytorch: .torch]

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

    /// Whether outputs keep the source's naming when no convention is named (safetensors: a user converting the
    /// format expects the names they had; `--convention canonical` asks for cnzoo's names).
    public var keepsSourceNaming: Bool { self == .safetensors }

    /// The convention written when none is named and the source's naming is not kept: MindSpore Vision names for
    /// ConvNeXt (MindCV for ConvMixer) in MindSpore files, torchvision (timm for ConvMixer) in PyTorch files, the
    /// convention named like the format where there is one (`keras`), canonical names otherwise.
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

/// What `convert --convention` names: a registered convention, or `keep` (every tensor under its own name).
public enum TargetNaming: Sendable, Equatable {
    /// A format-only conversion: names kept, bit-exact, even for a known architecture.
    case keep
    /// A registered naming convention.
    case convention(Convention)

    /// `keep`, or a convention spelling / alias; nil for anything else.
    public init?(parsing text: String) {
        if text.lowercased() == "keep" {
            self = .keep
        } else if let c = Convention(parsing: text) {
            self = .convention(c)
        } else {
            return nil
        }
    }

    /// Every accepted spelling, `keep` first.
    public static var spellings: [String] { ["keep"] + Convention.spellings }
}

extension GenericLayerKind {
    /// Parses `--layer MODULE=KIND` assignments (a usage error names the bad one and the kinds).
    public static func assignments(_ items: [String]) throws -> [String: GenericLayerKind] {
        var out: [String: GenericLayerKind] = [:]
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let kind = GenericLayerKind(rawValue: parts[1].lowercased()) else {
                throw CNZooError(.usage, "--layer '\(item)': expected MODULE=KIND with KIND one of "
                                 + allCases.map(\.rawValue).joined(separator: ", "))
            }
            out[parts[0]] = kind
        }
        return out
    }
}
