import CNZooConversion
import CNZooCore
import CNZooMapping
import CNZooModels

/// A checkpoint read, mapped to canonical names and built into its family's forward model.
public struct LoadedModel {
    /// The checkpoint as loaded and detected.
    public let loaded: LoadedCheckpoint
    /// The canonical weights the model was built from (only the spec's parameters).
    public let weights: Checkpoint
    /// The model, ready to run.
    public let model: any ForwardModel
    /// The architecture.
    public var spec: any ArchitectureSpec { loaded.detection.spec }
    /// The detected (or forced) source convention.
    public var convention: String { loaded.detection.convention.name }
}

/// The one path from a file to a runnable model: load → detect → canonical → numerics → model → variant check. Used
/// by `forward`, `verify --checkpoint` and `verify --images`.
public enum ModelLoader {
    /// The numerics of a detected checkpoint's framework (PyTorch's when its convention names none), with what
    /// the checkpoint's `metadata` says (a model folder's `config.json`: transformers' final-norm eps).
    public static func numerics(of detection: Detection, metadata: [String: String] = [:]) -> Numerics {
        detection.convention.numerics(family: detection.family, metadata: metadata) ?? .pytorch
    }

    /// Loads `path` strictly and builds its forward model. `adjust` applies explicit numerics choices to the
    /// convention's; `variant` (a zoo id or short size) must then match the file's architecture.
    public static func load(_ path: String, options: LoadOptions = LoadOptions(), forward: ForwardOptions = ForwardOptions(),
                            variant: String? = nil, adjust: (Numerics) -> Numerics = { $0 }) throws -> LoadedModel {
        var options = options
        options.allowUnmapped = false
        options.keepOptimizer = false
        let loaded = try CheckpointLoader.load(path, options: options)
        let spec = loaded.detection.spec
        if let variant { try check(spec, isVariant: variant, file: path) }
        let weights = ForwardModels.parameters(of: loaded.canonical, spec: spec)
        let model = try ForwardModels.make(canonical: weights, spec: spec, numerics: adjust(numerics(of: loaded.detection, metadata: loaded.source.metadata)),
                                           options: forward, file: path)
        return LoadedModel(loaded: loaded, weights: weights, model: model)
    }

    /// Refuses `spec` unless it is the published `variant` (zoo id or short size; the head may differ).
    public static func check(_ spec: any ArchitectureSpec, isVariant variant: String, file: String? = nil) throws {
        guard let want = ArchitectureFamilies.spec(variant: variant) else {
            throw CNZooError(.usage, "unknown variant '\(variant)' (known: "
                             + ArchitectureFamilies.variantIDs.joined(separator: ", ") + ")")
        }
        let family = ArchitectureFamilies.family(spec.family)
        guard want.family == spec.family, let name = family?.variantName(spec), name == family?.variantName(want) else {
            throw CNZooError(.mapping, "checkpoint is \(spec.summary), not \(variant)", file: file)
        }
    }
}
