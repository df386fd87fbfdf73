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
    /// transformers `hidden_act` (`gelu`; `gelu_new` and `gelu_pytorch_tanh` are the tanh form).
    public var hiddenAct: String?
    /// transformers `id2label`, by class index (nil unless it names every index from 0 on).
    public var labels: [String]?

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
            if case let .object(id2label)? = m["id2label"] {
                numClasses = id2label.count
                var byIndex: [Int: String] = [:]
                for (k, v) in id2label { if let i = Int(k), case let .string(name) = v { byIndex[i] = name } }
                let ordered = (0..<id2label.count).compactMap { byIndex[$0] }
                labels = ordered.count == id2label.count ? ordered : nil
            } else {
                numClasses = Self.int(m["num_labels"])
            }
            if case let .string(act)? = m["hidden_act"] { hiddenAct = act }
            numChannels = Self.int(m["num_channels"])
            patchSize = Self.int(m["patch_size"])
            layerNormEps = Self.double(m["layer_norm_eps"]) ?? Double(TransformersConvention.defaultHeadNormEps)
            layerScale = Self.double(m["layer_scale_init_value"]).map { $0 > 0 }
        } else {
            return nil
        }
    }

    /// The GELU form `hidden_act` names (nil: not a GELU transformers spells, or not said).
    public var gelu: Numerics.GELU? {
        switch hiddenAct {
        case "gelu"?: return .erf
        case "gelu_new"?, "gelu_pytorch_tanh"?: return .tanh
        default: return nil
        }
    }

    /// A transformers `config.json` for `spec` (a `ConvNextForImageClassification`, or a `ConvNextModel` when
    /// headless) that reproduces `numerics`: `hidden_act` is the GELU form, `layer_norm_eps` the head norm's eps
    /// (transformers fixes every other LayerNorm's at 1e-6). `labels` name the classes (`LABEL_i` when nil or of
    /// the wrong count, as transformers itself writes); `torch_dtype` is `float32` (the converter
    /// sets `--dtype`'s). Keys are sorted, as `save_pretrained` writes them.
    public static func transformersConfig(_ spec: any ArchitectureSpec, numerics: Numerics,
                                          labels: [String]?) throws -> JSONValue {
        guard let c = spec as? ConvNeXtSpec else {
            throw CNZooError(.usage, "the transformers convention names ConvNeXt models, not \(spec.family)")
        }
        guard c.kernelSize == 7 else {
            throw CNZooError(.usage, "transformers' ConvNeXt has 7×7 depthwise convolutions; this model's are "
                             + "\(c.kernelSize)×\(c.kernelSize)")
        }
        guard numerics.layerNormEps == 1e-6 else {
            throw CNZooError(.usage, "transformers' ConvNeXt fixes the block LayerNorm eps at 1e-6; this model "
                             + "computes with \(numerics.layerNormEps)")
        }
        let count = max(c.numClasses, 0)
        let names = labels?.count == count ? labels! : (0..<count).map { "LABEL_\($0)" }
        func ints(_ a: [Int]) -> JSONValue { .array(a.map { .int(Int64($0)) }) }
        var members: [(String, JSONValue)] = [
            ("architectures", .array([.string(c.isHeadless ? "ConvNextModel" : "ConvNextForImageClassification")])),
            ("depths", ints(c.depths)),
            ("drop_path_rate", .double(0)),
            ("hidden_act", .string(numerics.gelu == .tanh ? "gelu_pytorch_tanh" : "gelu")),
            ("hidden_sizes", ints(c.dims)),
        ]
        if !c.isHeadless {
            members.append(("id2label", .object(names.enumerated().map { (String($0.offset), .string($0.element)) })))
        }
        members += [("image_size", .int(224)), ("initializer_range", .double(0.02))]
        if !c.isHeadless {
            var ids: [String: Int] = [:]
            for (i, n) in names.enumerated() { ids[n] = i }
            members.append(("label2id", .object(ids.keys.sorted().map { ($0, .int(Int64(ids[$0]!))) })))
        }
        members += [
            // The float's shortest decimal spelling (1e-06), not its binary value widened (9.99999997e-07).
            ("layer_norm_eps", .double(Double(String(numerics.headNormEps)) ?? Double(numerics.headNormEps))),
            ("layer_scale_init_value", .double(c.layerScale ? 1e-6 : 0)),
            ("model_type", .string("convnext")),
            ("num_channels", .int(Int64(c.inChannels))),
        ]
        if c.isHeadless { members.append(("num_labels", .int(0))) }
        members += [("num_stages", .int(Int64(c.depths.count))), ("patch_size", .int(Int64(c.patchSize))),
                    ("torch_dtype", .string("float32"))]
        return .object(members)
    }

    /// The `torch_dtype` spelling of `dtype` (`float32`, `float16`, `bfloat16`).
    public static func torchDTypeName(_ dtype: DType) -> String {
        [DType.f16: "float16", .bf16: "bfloat16", .f64: "float64"][dtype] ?? "float32"
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
