import CNZooCore

/// Hugging Face transformers `ConvNextForImageClassification` (every backbone name under `convnext.`, head
/// `classifier`) and `ConvNextModel` (the same names without the prefix, no head): `embeddings.patch_embeddings`,
/// `encoder.stages.s.downsampling_layer.{0: LayerNorm, 1: conv}`, `encoder.stages.s.layers.b.{dwconv, layernorm,
/// pwconv1, pwconv2}`, layer scale `layer_scale_parameter` `[C]`, final `layernorm`.
///
/// A spec with a head is written with the prefix, a headless one (a `ConvNextModel`) without; either spelling is
/// read. Numerics: exact GELU and LayerNorm eps 1e-6, except the final `layernorm` (after pooling), whose eps is
/// `config.layer_norm_eps`: 1e-12 unless a folder's `config.json` says otherwise (`numerics(family:metadata:)`).
public struct TransformersConvention: NamingConvention {
    public init() {}
    public var name: String { "transformers" }
    public var aliases: [String] { ["hf", "huggingface"] }
    public var framework: Framework { .pytorch }
    public var summary: String {
        "Hugging Face transformers (convnext.encoder.stages.0.layers.0.dwconv, layer_scale_parameter, classifier)"
    }

    /// The prefix `ConvNextForImageClassification` puts before every backbone name.
    public static let prefix = "convnext."
    /// transformers' default `ConvNextConfig.layer_norm_eps` (the final norm only).
    public static let defaultHeadNormEps: Float = 1e-12

    public func numerics(family: Family) -> Numerics? {
        family == "convnext" ? Numerics(gelu: .erf, headNormEps: Self.defaultHeadNormEps) : nil
    }

    /// The final norm's eps (`layer_norm_eps`) and the GELU form (`hidden_act`) from the folder's `config.json` when the
    /// checkpoint came with one.
    public func numerics(family: Family, metadata: [String: String]) -> Numerics? {
        guard var n = numerics(family: family) else { return nil }
        let config = HubConfig(metadata: metadata)
        if let eps = config?.layerNormEps { n.headNormEps = Float(eps) }
        if let gelu = config?.gelu { n.gelu = gelu }
        return n
    }

    public func slots(for spec: any ArchitectureSpec) -> [Slot]? {
        guard let c = spec as? ConvNeXtSpec else { return nil }
        return TransformersConvNeXtNaming(prefixed: !c.isHeadless).convnextSlots(c)
    }
}

/// transformers ConvNeXt names, with or without the `convnext.` prefix (the other spelling is an alternate).
struct TransformersConvNeXtNaming: ConvNeXtNaming {
    /// Whether names carry `convnext.` (`ConvNextForImageClassification`) or not (`ConvNextModel`).
    let prefixed: Bool

    func convnextName(_ site: ConvNeXtSite, leaf: String) -> (name: String, alternates: [String]) {
        let base: String
        switch site {
        case .headFC: return ("classifier.\(leaf)", [])
        case .stemConv: base = "embeddings.patch_embeddings.\(leaf)"
        case .stemNorm: base = "embeddings.layernorm.\(leaf)"
        case let .downNorm(s): base = "encoder.stages.\(s).downsampling_layer.0.\(leaf)"
        case let .downConv(s): base = "encoder.stages.\(s).downsampling_layer.1.\(leaf)"
        case let .layerScale(s, b): base = "encoder.stages.\(s).layers.\(b).layer_scale_parameter"
        case let .dwconv(s, b): base = "encoder.stages.\(s).layers.\(b).dwconv.\(leaf)"
        case let .norm(s, b): base = "encoder.stages.\(s).layers.\(b).layernorm.\(leaf)"
        case let .pwconv1(s, b): base = "encoder.stages.\(s).layers.\(b).pwconv1.\(leaf)"
        case let .pwconv2(s, b): base = "encoder.stages.\(s).layers.\(b).pwconv2.\(leaf)"
        case .headNorm: base = "layernorm.\(leaf)"
        }
        let withPrefix = TransformersConvention.prefix + base
        return prefixed ? (withPrefix, [base]) : (base, [withPrefix])
    }
}
