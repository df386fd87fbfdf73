import CNZooCore

/// MindCV `mindcv.models.convnext` (`feature.*` like torchvision's `features`, LayerNorm `gamma/beta`, layer scale
/// `gamma_`, final `norm`, `classifier`) and the MindCV ConvMixer branch (`network.{0,2,3+i,depth+5}`, BatchNorm
/// `gamma/beta/moving_mean/moving_variance`). MindSpore `nn.GELU()` is the tanh approximation.
///
/// MindSpore's BatchNorm has no step counter. A torch file's `num_batches_tracked` values are carried as int64
/// scalar entries named `<BatchNorm cell path>.num_batches_tracked` (`network.2.num_batches_tracked`), the way
/// `save_checkpoint(append_dict=…)` stores extra values: `load_param_into_net` (strict or not) loads every cell
/// parameter and returns these in its unused-entries list, and converting back to timm restores them.
public struct MindCVConvention: NamingConvention, ConvNeXtNaming {
    public init() {}
    public var name: String { "mindcv" }
    public var aliases: [String] { ["mcv"] }
    public var framework: Framework { .mindspore }
    public var summary: String { "MindCV (feature.1.0.dwconv, norm gamma/beta, layer scale gamma_, classifier)" }

    public func numerics(family: Family) -> Numerics? {
        family == "convnext" || family == "convmixer" ? Numerics(gelu: .tanh) : nil
    }

    public func slots(for spec: any ArchitectureSpec) -> [Slot]? {
        if let s = spec as? ConvNeXtSpec { return convnextSlots(s) }
        if let s = spec as? ConvMixerSpec { return s.slots { site, leaf in convmixerName(site, leaf, depth: s.depth) } }
        return nil
    }

    /// ConvMixer BatchNorm counters, carried (never synthesised) under the BatchNorm cell's path.
    public func synthesizedBuffers(for spec: any ArchitectureSpec) -> [String: [SynthesizedBuffer]] {
        guard let s = spec as? ConvMixerSpec else { return [:] }
        return SynthesizedBuffer.spelling(s, synthesized: false) { canonical in
            let path = String(canonical.dropLast(".num_batches_tracked".count))
            guard let (site, _) = ConvMixerSite.parse(path + ".weight") else { return canonical }
            let bn = convmixerName(site, "weight", depth: s.depth).0
            return String(bn.dropLast("gamma".count)) + "num_batches_tracked"
        }
    }

    public func convnextName(_ site: ConvNeXtSite, leaf: String) -> (name: String, alternates: [String]) {
        func ln(_ path: String) -> (String, [String]) {
            let l = NormLeaf.mindspore(leaf)
            return ("\(path).\(l.0)", l.1.map { "\(path).\($0)" })
        }
        switch site {
        case .stemConv: return ("feature.0.0.\(leaf)", [])
        case .stemNorm: return ln("feature.0.1")
        case let .downNorm(i): return ln("feature.\(2 * i).0")
        case let .downConv(i): return ("feature.\(2 * i).1.\(leaf)", [])
        case let .layerScale(s, b): return ("feature.\(2 * s + 1).\(b).gamma_", [])
        case let .dwconv(s, b): return ("feature.\(2 * s + 1).\(b).dwconv.\(leaf)", [])
        case let .norm(s, b): return ln("feature.\(2 * s + 1).\(b).norm")
        case let .pwconv1(s, b): return ("feature.\(2 * s + 1).\(b).pwconv1.\(leaf)", [])
        case let .pwconv2(s, b): return ("feature.\(2 * s + 1).\(b).pwconv2.\(leaf)", [])
        case .headNorm: return ln("norm")
        case .headFC: return ("classifier.\(leaf)", [])
        }
    }

    private func convmixerName(_ site: ConvMixerSite, _ leaf: String, depth: Int) -> (String, [String]) {
        let path: String
        switch site {
        case .stemConv: path = "network.0"
        case .stemBN: path = "network.2"
        case let .dwconv(i): path = "network.\(i + 3).0.fn.0"
        case let .dwBN(i): path = "network.\(i + 3).0.fn.2"
        case let .pwconv(i): path = "network.\(i + 3).1"
        case let .pwBN(i): path = "network.\(i + 3).3"
        case .head: path = "network.\(depth + 5)"
        }
        guard site.isBatchNorm else { return ("\(path).\(leaf)", []) }
        let ms = ["weight": "gamma", "bias": "beta", "running_mean": "moving_mean", "running_var": "moving_variance"]
        return ("\(path).\(ms[leaf] ?? leaf)", ["\(path).\(leaf)"])
    }
}
