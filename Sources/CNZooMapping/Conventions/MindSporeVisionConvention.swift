import CNZooCore

/// MindSpore Vision (`mindvision.classification.models.convnext`): `backbone.start_cell.{0,2}`,
/// `backbone.block1.b.*` (stage 0), `backbone.down_sample_blocks.{2s-2: downsample s, 2s-1: stage s}`,
/// LayerNorm `layer_norm.gamma/beta`, layer scale also `gamma` (told apart by path), `neck.layer_norm` (MindSpore's
/// default epsilon 1e-7), `head.dense`. GELU is MindSpore's tanh approximation.
public struct MindSporeVisionConvention: NamingConvention, ConvNeXtNaming {
    public init() {}
    public var name: String { "mindvision" }
    public var aliases: [String] { ["mv", "mindspore-vision"] }
    public var framework: Framework { .mindspore }
    public var summary: String { "MindSpore Vision (backbone.block1.0.dwconv, down_sample_blocks, neck, head.dense)" }

    public func numerics(family: Family) -> Numerics? {
        family == "convnext" ? Numerics(gelu: .tanh, layerNormEps: 1e-6, headNormEps: 1e-7) : nil
    }

    public func slots(for spec: any ArchitectureSpec) -> [Slot]? {
        (spec as? ConvNeXtSpec).map(convnextSlots)
    }

    public func convnextName(_ site: ConvNeXtSite, leaf: String) -> (name: String, alternates: [String]) {
        func ln(_ path: String) -> (String, [String]) {
            let l = NormLeaf.mindspore(leaf)
            return ("\(path).\(l.0)", l.1.map { "\(path).\($0)" })
        }
        func block(_ s: Int, _ b: Int) -> String {
            s == 0 ? "backbone.block1.\(b)" : "backbone.down_sample_blocks.\(2 * s - 1).\(b)"
        }
        switch site {
        case .stemConv: return ("backbone.start_cell.0.\(leaf)", [])
        case .stemNorm: return ln("backbone.start_cell.2")
        case let .downNorm(i): return ln("backbone.down_sample_blocks.\(2 * i - 2).layer_norm")
        case let .downConv(i): return ("backbone.down_sample_blocks.\(2 * i - 2).conv.\(leaf)", [])
        case let .layerScale(s, b): return ("\(block(s, b)).gamma", [])
        case let .dwconv(s, b): return ("\(block(s, b)).dwconv.\(leaf)", [])
        case let .norm(s, b): return ln("\(block(s, b)).layer_norm")
        case let .pwconv1(s, b): return ("\(block(s, b)).pwconv1.\(leaf)", [])
        case let .pwconv2(s, b): return ("\(block(s, b)).pwconv2.\(leaf)", [])
        case .headNorm: return ln("neck.layer_norm")
        case .headFC: return ("head.dense.\(leaf)", [])
        }
    }
}
