import CNZooCore

/// What a Hugging Face model folder's `config.json` says about the model, as far as cnzoo reads it: transformers'
/// `ConvNextConfig` (`model_type: "convnext"`, `architectures`, `depths`, `hidden_sizes`, `id2label`/`num_labels`,
/// `num_channels`, `patch_size`, `layer_norm_eps`, `layer_scale_init_value`) or timm's Hub config (`architecture`,
/// `num_classes`, `model_args`). The weights decide the architecture; this decides the naming convention and the
/// numerics the weights cannot show, and `check` refuses a config that disagrees with them.
public struct HubConfig: Sendable {
    /// Which library wrote the folder.
    public enum Library: String, Sendable { case transformers, timm }

    public var library: Library
    /// The `config.json` path.
    public var file: String
    /// The weight file(s) the tensors came from.
    public var weights: String
    /// transformers `architectures` (`ConvNextForImageClassification`, `ConvNextModel`); timm: `[architecture]`.
    public var architectures: [String]
    public var depths: [Int]?
    /// `hidden_sizes` (transformers) or `model_args.dims` (timm).
    public var dims: [Int]?
    /// `id2label` count or `num_labels` (transformers), `num_classes` (timm).
    public var numClasses: Int?
    public var numChannels: Int?
    public var patchSize: Int?
    /// transformers `layer_norm_eps` (the final norm's eps; 1e-12 when absent).
    public var layerNormEps: Double?
    /// transformers `layer_scale_init_value` > 0.
    public var layerScale: Bool?

    /// The config recorded in `metadata` by a folder reader (`HubMetadata`), nil when there is none or it is not a
    /// ConvNeXt-family config this reads.
    public init?(metadata: [String: String]) {
        guard let text = metadata[HubMetadata.configKey],
              let json = try? Array(text.utf8).withUnsafeBytes({ try JSONParser.parse($0) }),
              case let .object(members) = json else { return nil }
        var m: [String: JSONValue] = [:]
        for (k, v) in members { m[k] = v }
        file = metadata[HubMetadata.configFileKey] ?? "config.json"
        weights = metadata[HubMetadata.weightsKey] ?? "the weights"
        if case let .string(arch)? = m["architecture"] {
            library = .timm
            architectures = [arch]
            var args: [String: JSONValue] = [:]
            if case let .object(a)? = m["model_args"] { for (k, v) in a { args[k] = v } }
            depths = Self.ints(args["depths"])
            dims = Self.ints(args["dims"])
            if depths == nil, dims == nil, let v = ConvNeXtSpec.variant(String(arch.split(separator: ".").first ?? "")) {
                depths = v.depths
                dims = v.dims
            }
            numClasses = Self.int(m["num_classes"]) ?? Self.int(args["num_classes"])
            numChannels = Self.int(args["in_chans"])
        } else if case .string("convnext")? = m["model_type"] {
            library = .transformers
            if case let .array(a)? = m["architectures"] {
                architectures = a.compactMap { if case let .string(s) = $0 { return s } else { return nil } }
            } else {
                architectures = []
            }
            depths = Self.ints(m["depths"])
            dims = Self.ints(m["hidden_sizes"])
            if case let .object(labels)? = m["id2label"] { numClasses = labels.count } else { numClasses = Self.int(m["num_labels"]) }
            numChannels = Self.int(m["num_channels"])
            patchSize = Self.int(m["patch_size"])
            layerNormEps = Self.double(m["layer_norm_eps"]) ?? Double(TransformersConvention.defaultHeadNormEps)
            layerScale = Self.double(m["layer_scale_init_value"]).map { $0 > 0 }
        } else {
            return nil
        }
    }

    /// The naming convention the folder's library writes.
    public var convention: Convention { Convention(rawValue: library == .timm ? "timm" : "transformers") }

    /// Whether the config describes a model with a classifier (transformers: the architecture class; timm:
    /// `num_classes` > 0), nil when it does not say.
    public var hasHead: Bool? {
        switch library {
        case .timm: return numClasses.map { $0 > 0 }
        case .transformers:
            if architectures.contains(where: { $0.hasSuffix("ForImageClassification") }) { return true }
            if architectures.contains("ConvNextModel") { return false }
            return nil
        }
    }

    /// Refuses a `spec` (read from the weights' shapes) that the config contradicts, naming both files.
    public func check(_ spec: any ArchitectureSpec) throws {
        guard spec.family == .convnext, let c = spec as? ConvNeXtSpec else {
            throw CNZooError(.mapping, "\(file) describes a ConvNeXt (\(architectures.joined(separator: ", "))), "
                             + "but the weights in \(weights) are a \(spec.family) model (\(spec.summary))", file: file)
        }
        var disagreements: [String] = []
        func compare<T: Equatable>(_ key: String, _ said: T?, _ found: T, as shown: String) {
            if let said, said != found { disagreements.append("\(key) \(said) but the weights have \(shown) \(found)") }
        }
        let dimsKey = library == .timm ? "model_args.dims" : "hidden_sizes"
        compare(library == .timm ? "model_args.depths" : "depths", depths, c.depths, as: "depths")
        compare(dimsKey, dims, c.dims, as: "dims")
        compare(library == .timm ? "model_args.in_chans" : "num_channels", numChannels, c.inChannels, as: "input channels")
        compare("patch_size", patchSize, c.patchSize, as: "patch size")
        compare("layer scale (layer_scale_init_value)", layerScale, c.layerScale, as: "layer scale")
        switch hasHead {
        case true?:
            compare(library == .timm ? "num_classes" : "id2label/num_labels", numClasses, c.numClasses, as: "classes")
            if c.isHeadless { disagreements.append("a classifier (\(architectures.joined(separator: ", "))) but the weights have none") }
        case false?:
            if !c.isHeadless {
                disagreements.append("no classifier (\(architectures.joined(separator: ", "))) but the weights have "
                                     + "\(c.numClasses) classes")
            }
        case nil: break
        }
        guard disagreements.isEmpty else {
            throw CNZooError(.mapping, "\(file) disagrees with the weights in \(weights): it says "
                             + disagreements.joined(separator: "; "), file: file)
        }
    }

    private static func int(_ v: JSONValue?) -> Int? {
        if case let .int(i)? = v { return Int(exactly: i) }
        return nil
    }

    private static func double(_ v: JSONValue?) -> Double? {
        switch v {
        case let .int(i)?: return Double(i)
        case let .double(d)?: return d
        default: return nil
        }
    }

    private static func ints(_ v: JSONValue?) -> [Int]? {
        guard case let .array(a)? = v else { return nil }
        let out = a.compactMap(int)
        return out.count == a.count ? out : nil
    }
}
