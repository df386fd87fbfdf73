import CNZooCore

/// A ConvNeXt configuration (Liu et al., 2022): a patchify stem, four stages of blocks
/// (7×7 depthwise conv → LayerNorm → Linear C→4C → GELU → Linear 4C→C → layer scale → residual), LayerNorm + 2×2
/// stride-2 convs between stages, then global average pool → LayerNorm → Linear head.
///
/// Canonical parameter names (the neutral names every convention maps to and the forward pass reads):
/// ```
/// stem.conv.{weight,bias}                [C0,3,p,p] [C0]
/// stem.norm.{weight,bias}                [C0]
/// stages.{s}.downsample.norm.{weight,bias}   [C(s-1)]          s = 1...3
/// stages.{s}.downsample.conv.{weight,bias}   [Cs,C(s-1),2,2] [Cs]
/// stages.{s}.blocks.{b}.layer_scale      [Cs]                  (when layer scale is on)
/// stages.{s}.blocks.{b}.dwconv.{weight,bias}   [Cs,1,k,k] [Cs]
/// stages.{s}.blocks.{b}.norm.{weight,bias}     [Cs]
/// stages.{s}.blocks.{b}.pwconv1.{weight,bias}  [4Cs,Cs] [4Cs]
/// stages.{s}.blocks.{b}.pwconv2.{weight,bias}  [Cs,4Cs] [Cs]
/// head.norm.{weight,bias}                [C3]                  (absent in a features-only backbone)
/// head.fc.{weight,bias}                  [K,C3] [K]            (absent in a headless backbone)
/// ```
/// The order is torchvision's state-dict order (layer scale first in each block).
public struct ConvNeXtSpec: ArchitectureSpec, Equatable, Codable, Hashable {
    public var depths: [Int]
    public var dims: [Int]
    public var kernelSize: Int
    public var patchSize: Int
    public var layerScale: Bool
    public var numClasses: Int
    public var inChannels: Int
    /// Whether the final LayerNorm (`head.norm`) is there. A features-only backbone (torchvision
    /// `model.features`, timm `features_only=True`) ends with the last stage: no final norm and no classifier
    /// (`numClasses` 0).
    public var finalNorm: Bool

    public init(depths: [Int], dims: [Int], kernelSize: Int = 7, patchSize: Int = 4, layerScale: Bool = true,
                numClasses: Int = 1000, inChannels: Int = 3, finalNorm: Bool = true) {
        self.finalNorm = finalNorm
        self.depths = depths
        self.dims = dims
        self.kernelSize = kernelSize
        self.patchSize = patchSize
        self.layerScale = layerScale
        self.numClasses = numClasses
        self.inChannels = inChannels
    }

    public var family: Family { .convnext }

    /// The five published sizes (Table 1 of the paper; identical in torchvision, timm, MindCV, MindSpore Vision).
    public static let variants: [(name: String, spec: ConvNeXtSpec)] = [
        ("tiny", ConvNeXtSpec(depths: [3, 3, 9, 3], dims: [96, 192, 384, 768])),
        ("small", ConvNeXtSpec(depths: [3, 3, 27, 3], dims: [96, 192, 384, 768])),
        ("base", ConvNeXtSpec(depths: [3, 3, 27, 3], dims: [128, 256, 512, 1024])),
        ("large", ConvNeXtSpec(depths: [3, 3, 27, 3], dims: [192, 384, 768, 1536])),
        ("xlarge", ConvNeXtSpec(depths: [3, 3, 27, 3], dims: [256, 512, 1024, 2048])),
    ]

    /// A named variant (`tiny` ... `xlarge`, also `convnext_tiny`) with `numClasses` outputs.
    public static func variant(_ name: String, numClasses: Int = 1000) -> ConvNeXtSpec? {
        let short = name.hasPrefix("convnext_") ? String(name.dropFirst("convnext_".count)) : name
        guard var s = variants.first(where: { $0.name == short })?.spec else { return nil }
        s.numClasses = numClasses
        return s
    }

    /// A backbone without classifier (timm `num_classes=0`: the final norm stays, `head.fc` is gone; or features
    /// only, without the final norm either).
    public var isHeadless: Bool { numClasses == 0 }

    /// A features-only backbone (torchvision `model.features`, timm `features_only=True`): no final norm, no
    /// classifier.
    public var isFeaturesOnly: Bool { isHeadless && !finalNorm }

    /// The variant name whose depths and dims match, if any.
    public var variantName: String? {
        ConvNeXtSpec.variants.first { $0.spec.depths == depths && $0.spec.dims == dims }?.name
    }

    public var summary: String {
        let v = variantName.map { "convnext_\($0) " } ?? "ConvNeXt "
        let head = isFeaturesOnly ? "no head (features only: no final norm, no classifier)"
            : isHeadless ? "no head (backbone only)" : "\(numClasses) classes"
        return "\(v)depths \(depths) dims \(dims), " + head
    }

    public func parameters() -> [ParameterSpec] {
        var p: [ParameterSpec] = []
        let c0 = dims[0]
        p.append(.init("stem.conv.weight", [c0, inChannels, patchSize, patchSize], .convWeight))
        p.append(.init("stem.conv.bias", [c0], .convBias))
        p.append(.init("stem.norm.weight", [c0], .normWeight))
        p.append(.init("stem.norm.bias", [c0], .normBias))
        for s in 0..<depths.count {
            let c = dims[s]
            if s > 0 {
                let prev = dims[s - 1]
                p.append(.init("stages.\(s).downsample.norm.weight", [prev], .normWeight))
                p.append(.init("stages.\(s).downsample.norm.bias", [prev], .normBias))
                p.append(.init("stages.\(s).downsample.conv.weight", [c, prev, 2, 2], .convWeight))
                p.append(.init("stages.\(s).downsample.conv.bias", [c], .convBias))
            }
            for b in 0..<depths[s] {
                let pre = "stages.\(s).blocks.\(b)."
                if layerScale { p.append(.init(pre + "layer_scale", [c], .layerScale)) }
                p.append(.init(pre + "dwconv.weight", [c, 1, kernelSize, kernelSize], .convWeight))
                p.append(.init(pre + "dwconv.bias", [c], .convBias))
                p.append(.init(pre + "norm.weight", [c], .normWeight))
                p.append(.init(pre + "norm.bias", [c], .normBias))
                p.append(.init(pre + "pwconv1.weight", [4 * c, c], .linearWeight))
                p.append(.init(pre + "pwconv1.bias", [4 * c], .linearBias))
                p.append(.init(pre + "pwconv2.weight", [c, 4 * c], .linearWeight))
                p.append(.init(pre + "pwconv2.bias", [c], .linearBias))
            }
        }
        let last = dims[dims.count - 1]
        if isFeaturesOnly { return p }
        p.append(.init("head.norm.weight", [last], .normWeight))
        p.append(.init("head.norm.bias", [last], .normBias))
        if !isHeadless {
            p.append(.init("head.fc.weight", [numClasses, last], .linearWeight))
            p.append(.init("head.fc.bias", [numClasses], .linearBias))
        }
        return p
    }

    /// MACs of convolutions and linear layers (norms, GELU, pooling excluded — the convention of fvcore, which the
    /// paper and torchvision's `_ops` figures use).
    public func macs(resolution: Int) -> Int { macs(height: resolution, width: resolution) }

    /// MACs for one `height`×`width` image.
    public func macs(height: Int, width: Int) -> Int {
        var h = height / patchSize, w = width / patchSize
        var hw = h * w
        var total = hw * dims[0] * inChannels * patchSize * patchSize
        for s in 0..<depths.count {
            let c = dims[s]
            if s > 0 {
                h /= 2
                w /= 2
                hw = h * w
                total += hw * c * dims[s - 1] * 4
            }
            total += depths[s] * (hw * c * kernelSize * kernelSize + 2 * hw * c * 4 * c)
        }
        return total + dims[dims.count - 1] * numClasses
    }

    /// The smallest input height and width that leaves every stage at least one position (patch × 2 per
    /// downsampling). Any larger size runs: the stem (kernel = stride = patch) and the 2×2 stride-2 downsampling
    /// convs floor as in torch, `out = ⌊(in − k) / s⌋ + 1`, ignoring the rows and columns a patch does not cover.
    public var minimumInputSize: Int { patchSize << max(0, depths.count - 1) }

    /// The name 0.2.0 gave ``minimumInputSize``.
    @available(*, deprecated, renamed: "minimumInputSize")
    public var inputStride: Int { minimumInputSize }
}
