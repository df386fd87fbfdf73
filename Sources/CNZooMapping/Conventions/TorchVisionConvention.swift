import CNZooCore

/// torchvision `torchvision.models.convnext_*`: `features.{0: stem, 2s+1: stage s, 2i: downsample i}`,
/// blocks as `block.{0,2,3,5}`, layer scale `[C,1,1]`, head `classifier.{0,2}`.
public struct TorchVisionConvention: NamingConvention, ConvNeXtNaming {
    public init() {}
    public var name: String { "torchvision" }
    public var aliases: [String] { ["tv"] }
    public var framework: Framework { .pytorch }
    public var summary: String { "torchvision (features.1.0.block.0, layer_scale [C,1,1], classifier.2)" }

    public func numerics(family: Family) -> Numerics? { family == "convnext" ? Numerics(gelu: .erf) : nil }

    public func slots(for spec: any ArchitectureSpec) -> [Slot]? {
        (spec as? ConvNeXtSpec).map(convnextSlots)
    }

    public func convnextName(_ site: ConvNeXtSite, leaf: String) -> (name: String, alternates: [String]) {
        switch site {
        case .stemConv: return ("features.0.0.\(leaf)", [])
        case .stemNorm: return ("features.0.1.\(leaf)", [])
        case let .downNorm(i): return ("features.\(2 * i).0.\(leaf)", [])
        case let .downConv(i): return ("features.\(2 * i).1.\(leaf)", [])
        case let .layerScale(s, b): return ("features.\(2 * s + 1).\(b).layer_scale", [])
        case let .dwconv(s, b): return ("features.\(2 * s + 1).\(b).block.0.\(leaf)", [])
        case let .norm(s, b): return ("features.\(2 * s + 1).\(b).block.2.\(leaf)", [])
        case let .pwconv1(s, b): return ("features.\(2 * s + 1).\(b).block.3.\(leaf)", [])
        case let .pwconv2(s, b): return ("features.\(2 * s + 1).\(b).block.5.\(leaf)", [])
        case .headNorm: return ("classifier.0.\(leaf)", [])
        case .headFC: return ("classifier.2.\(leaf)", [])
        }
    }

    /// torchvision keeps the layer scale as a broadcastable `[C,1,1]` parameter.
    public func convnextShape(_ site: ConvNeXtSite, canonical: [Int]) -> [Int] {
        if case .layerScale = site { return canonical + [1, 1] }
        return canonical
    }
}
