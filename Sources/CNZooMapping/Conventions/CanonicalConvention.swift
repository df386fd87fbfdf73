import CNZooCore

/// cnzoo's neutral names (documented in `ConvNeXtSpec` / `ConvMixerSpec`): what `--to safetensors` writes and
/// what the forward pass reads.
public struct CanonicalConvention: NamingConvention, ConvNeXtNaming {
    public init() {}
    public var name: String { "canonical" }
    public var framework: Framework { .neutral }
    public var summary: String { "cnzoo neutral names (stem.conv, stages.S.blocks.B.dwconv, head.fc)" }

    public func numerics(family: Family) -> Numerics? {
        family == "convnext" || family == "convmixer" ? Numerics(gelu: .erf) : nil
    }

    public func slots(for spec: any ArchitectureSpec) -> [Slot]? {
        if let s = spec as? ConvNeXtSpec { return convnextSlots(s) }
        if let s = spec as? ConvMixerSpec { return s.slots { site, leaf in ("\(site.timmPath).\(leaf)", []) } }
        return nil
    }

    /// ConvMixer's canonical names are timm's, and so are its BatchNorm counters: carried under their canonical
    /// names when the source had them (never synthesised: no module needs them).
    public func synthesizedBuffers(for spec: any ArchitectureSpec) -> [String: [SynthesizedBuffer]] {
        SynthesizedBuffer.spelling(spec, synthesized: false) { $0 }
    }

    public func convnextName(_ site: ConvNeXtSite, leaf: String) -> (name: String, alternates: [String]) {
        switch site {
        case .stemConv: return ("stem.conv.\(leaf)", [])
        case .stemNorm: return ("stem.norm.\(leaf)", [])
        case let .downNorm(s): return ("stages.\(s).downsample.norm.\(leaf)", [])
        case let .downConv(s): return ("stages.\(s).downsample.conv.\(leaf)", [])
        case let .layerScale(s, b): return ("stages.\(s).blocks.\(b).layer_scale", [])
        case let .dwconv(s, b): return ("stages.\(s).blocks.\(b).dwconv.\(leaf)", [])
        case let .norm(s, b): return ("stages.\(s).blocks.\(b).norm.\(leaf)", [])
        case let .pwconv1(s, b): return ("stages.\(s).blocks.\(b).pwconv1.\(leaf)", [])
        case let .pwconv2(s, b): return ("stages.\(s).blocks.\(b).pwconv2.\(leaf)", [])
        case .headNorm: return ("head.norm.\(leaf)", [])
        case .headFC: return ("head.fc.\(leaf)", [])
        }
    }
}
