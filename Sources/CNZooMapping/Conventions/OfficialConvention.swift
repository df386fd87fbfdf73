import CNZooCore

/// The official facebookresearch/ConvNeXt code: `downsample_layers.{0: stem, i}`, `stages.s.b.*`, layer scale
/// `gamma`, final `norm`, `head`. Released files wrap the state dict as `{"model": ...}`.
public struct OfficialConvention: NamingConvention, ConvNeXtNaming {
    public init() {}
    public var name: String { "official" }
    public var aliases: [String] { ["fb", "facebook"] }
    public var framework: Framework { .pytorch }
    public var summary: String { "facebookresearch/ConvNeXt (downsample_layers, stages.0.0.dwconv, gamma, head)" }
    public var wrapperKey: String? { "model" }

    public func numerics(family: Family) -> Numerics? { family == "convnext" ? Numerics(gelu: .erf) : nil }

    public func slots(for spec: any ArchitectureSpec) -> [Slot]? {
        (spec as? ConvNeXtSpec).map(convnextSlots)
    }

    public func convnextName(_ site: ConvNeXtSite, leaf: String) -> (name: String, alternates: [String]) {
        switch site {
        case .stemConv: return ("downsample_layers.0.0.\(leaf)", [])
        case .stemNorm: return ("downsample_layers.0.1.\(leaf)", [])
        case let .downNorm(i): return ("downsample_layers.\(i).0.\(leaf)", [])
        case let .downConv(i): return ("downsample_layers.\(i).1.\(leaf)", [])
        case let .layerScale(s, b): return ("stages.\(s).\(b).gamma", [])
        case let .dwconv(s, b): return ("stages.\(s).\(b).dwconv.\(leaf)", [])
        case let .norm(s, b): return ("stages.\(s).\(b).norm.\(leaf)", [])
        case let .pwconv1(s, b): return ("stages.\(s).\(b).pwconv1.\(leaf)", [])
        case let .pwconv2(s, b): return ("stages.\(s).\(b).pwconv2.\(leaf)", [])
        case .headNorm: return ("norm.\(leaf)", [])
        case .headFC: return ("head.\(leaf)", [])
        }
    }

    /// The module registers all `downsample_layers` before `stages`, so the stem and downsamples come first.
    public func convnextOrder(_ slots: [Slot]) -> [Slot] {
        let down = slots.filter { $0.name.hasPrefix("downsample_layers.") }
        return down + slots.filter { !$0.name.hasPrefix("downsample_layers.") }
    }
}
