import CNZooCore

/// Where a canonical ConvNeXt parameter sits in the network, parsed from its canonical name. Conventions spell
/// sites, not strings, so no convention ever pattern-matches another's names.
public enum ConvNeXtSite: Sendable, Equatable {
    case stemConv, stemNorm
    /// Downsample before stage `s` (1...3).
    case downNorm(stage: Int), downConv(stage: Int)
    case layerScale(stage: Int, block: Int)
    case dwconv(stage: Int, block: Int), norm(stage: Int, block: Int)
    case pwconv1(stage: Int, block: Int), pwconv2(stage: Int, block: Int)
    case headNorm, headFC

    /// Parses a canonical name into (site, leaf); the leaf is `weight`, `bias` or `` (layer scale).
    public static func parse(_ canonical: String) -> (site: ConvNeXtSite, leaf: String)? {
        // Substrings throughout: detection parses every canonical name once per convention (no copies per part).
        let p = canonical.split(separator: ".")
        switch p.count {
        case 3 where p[0] == "stem":
            if p[1] == "conv" { return (.stemConv, String(p[2])) }
            if p[1] == "norm" { return (.stemNorm, String(p[2])) }
        case 3 where p[0] == "head":
            if p[1] == "norm" { return (.headNorm, String(p[2])) }
            if p[1] == "fc" { return (.headFC, String(p[2])) }
        case 5 where p[0] == "stages" && p[2] == "downsample":
            guard let s = Int(p[1]) else { return nil }
            if p[3] == "norm" { return (.downNorm(stage: s), String(p[4])) }
            if p[3] == "conv" { return (.downConv(stage: s), String(p[4])) }
        case 5 where p[0] == "stages" && p[2] == "blocks" && p[4] == "layer_scale":
            guard let s = Int(p[1]), let b = Int(p[3]) else { return nil }
            return (.layerScale(stage: s, block: b), "")
        case 6 where p[0] == "stages" && p[2] == "blocks":
            guard let s = Int(p[1]), let b = Int(p[3]) else { return nil }
            switch p[4] {
            case "dwconv": return (.dwconv(stage: s, block: b), String(p[5]))
            case "norm": return (.norm(stage: s, block: b), String(p[5]))
            case "pwconv1": return (.pwconv1(stage: s, block: b), String(p[5]))
            case "pwconv2": return (.pwconv2(stage: s, block: b), String(p[5]))
            default: return nil
            }
        default: break
        }
        return nil
    }

    /// Whether this is a LayerNorm (its leaves are spelled `gamma`/`beta` in MindSpore).
    public var isLayerNorm: Bool {
        switch self {
        case .stemNorm, .downNorm, .norm, .headNorm: return true
        default: return false
        }
    }
}

/// A convention's spelling of ConvNeXt sites. Conforming conventions get `slots(for:)` for ConvNeXt for free.
public protocol ConvNeXtNaming {
    /// The name of `leaf` (`weight`, `bias`, or `` for layer scale) at `site`, plus accepted alternates.
    func convnextName(_ site: ConvNeXtSite, leaf: String) -> (name: String, alternates: [String])
    /// The shape at `site`, given the canonical shape after `convnextLayout`'s permutation if any (default:
    /// unchanged). A different element order than canonical is a permutation, never a reshape.
    func convnextShape(_ site: ConvNeXtSite, canonical: [Int]) -> [Int]
    /// How the tensor at `site` is laid out relative to canonical (default: `.reshape`; Keras kernels permute).
    func convnextLayout(_ site: ConvNeXtSite, canonical: [Int]) -> Slot.Layout
    /// The file order, given slots in canonical order (default: unchanged).
    func convnextOrder(_ slots: [Slot]) -> [Slot]
}

extension ConvNeXtNaming {
    public func convnextShape(_ site: ConvNeXtSite, canonical: [Int]) -> [Int] { canonical }
    public func convnextLayout(_ site: ConvNeXtSite, canonical: [Int]) -> Slot.Layout { .reshape }
    public func convnextOrder(_ slots: [Slot]) -> [Slot] { slots }

    /// The slots for a ConvNeXt spec.
    public func convnextSlots(_ spec: ConvNeXtSpec) -> [Slot] {
        var slots: [Slot] = []
        for p in spec.parameters() {
            guard let (site, leaf) = ConvNeXtSite.parse(p.name) else { continue }
            let n = convnextName(site, leaf: leaf)
            let layout = convnextLayout(site, canonical: p.shape)
            var laidOut = p.shape
            if case let .permute(axes) = layout, axes.sorted() == Array(p.shape.indices) {
                laidOut = TensorPermutation.permutedShape(p.shape, axes)
            }
            slots.append(Slot(name: n.name, alternates: n.alternates, canonical: p.name,
                              shape: convnextShape(site, canonical: laidOut), canonicalShape: p.shape,
                              layout: layout, role: p.role))
        }
        return convnextOrder(slots)
    }
}

/// LayerNorm leaf spellings.
enum NormLeaf {
    /// MindSpore `nn.LayerNorm` / `nn.BatchNorm` spelling: `gamma`/`beta`, accepting torch's `weight`/`bias`
    /// (checkpoints converted by hand and some MindSpore versions use them).
    static func mindspore(_ leaf: String) -> (String, [String]) {
        switch leaf {
        case "weight": return ("gamma", ["weight"])
        case "bias": return ("beta", ["bias"])
        default: return (leaf, [])
        }
    }
}
