import CNZooCore

/// timm `timm.models.convnext` / `convmixer`: `stem.{0,1}`, `stages.s.downsample.{0,1}`, `stages.s.blocks.b.*`
/// with `conv_dw`, `mlp.fc1/fc2`, layer scale `gamma`, `head.norm`, `head.fc`. ConvMixer names are the canonical
/// ones plus torch BatchNorm's `num_batches_tracked` counters.
public struct TimmConvention: NamingConvention, ConvNeXtNaming {
    public init() {}
    public var name: String { "timm" }
    public var framework: Framework { .pytorch }
    public var summary: String { "timm (stem.0, stages.0.blocks.0.conv_dw, mlp.fc1, gamma, head.fc)" }

    public func numerics(family: Family) -> Numerics? {
        family == "convnext" || family == "convmixer" ? Numerics(gelu: .erf) : nil
    }

    public func slots(for spec: any ArchitectureSpec) -> [Slot]? {
        if let s = spec as? ConvNeXtSpec { return convnextSlots(s) }
        if let s = spec as? ConvMixerSpec { return s.slots { site, leaf in ("\(site.timmPath).\(leaf)", []) } }
        return nil
    }

    /// torch BatchNorm2d carries `num_batches_tracked` (int64 scalar); a strict `load_state_dict` wants it. Canonical
    /// ConvMixer names are timm's, so the buffers keep their canonical names.
    public func synthesizedBuffers(for spec: any ArchitectureSpec) -> [String: [SynthesizedBuffer]] {
        SynthesizedBuffer.spelling(spec, synthesized: true) { $0 }
    }

    public func convnextName(_ site: ConvNeXtSite, leaf: String) -> (name: String, alternates: [String]) {
        switch site {
        case .stemConv: return ("stem.0.\(leaf)", [])
        case .stemNorm: return ("stem.1.\(leaf)", [])
        case let .downNorm(i): return ("stages.\(i).downsample.0.\(leaf)", [])
        case let .downConv(i): return ("stages.\(i).downsample.1.\(leaf)", [])
        case let .layerScale(s, b): return ("stages.\(s).blocks.\(b).gamma", [])
        case let .dwconv(s, b): return ("stages.\(s).blocks.\(b).conv_dw.\(leaf)", [])
        case let .norm(s, b): return ("stages.\(s).blocks.\(b).norm.\(leaf)", [])
        case let .pwconv1(s, b): return ("stages.\(s).blocks.\(b).mlp.fc1.\(leaf)", [])
        case let .pwconv2(s, b): return ("stages.\(s).blocks.\(b).mlp.fc2.\(leaf)", [])
        case .headNorm: return ("head.norm.\(leaf)", [])
        case .headFC: return ("head.fc.\(leaf)", [])
        }
    }
}
