import CNZooCore

/// A ConvMixer configuration (Trockman & Kolter): a patch conv + activation + BatchNorm, then `depth` blocks of
/// residual(depthwise k×k conv → act → BN) → pointwise conv → act → BN, then pool and a Linear head.
///
/// Canonical names follow timm: `stem.0` conv, `stem.2` BN, `blocks.{i}.0.fn.0` depthwise conv, `blocks.{i}.0.fn.2` BN,
/// `blocks.{i}.1` pointwise conv, `blocks.{i}.3` BN, `head`. BN canonical leaves are `weight, bias, running_mean,
/// running_var` (`num_batches_tracked` is bookkeeping, not a parameter: `bookkeepingBuffers()`). `numClasses == 0` is a
/// headless model.
public struct ConvMixerSpec: ArchitectureSpec, Equatable, Codable, Hashable {
    public var dim: Int
    public var depth: Int
    public var kernelSize: Int
    public var patchSize: Int
    /// The activation after every convolution (`gelu` for most releases; 768/32 uses `relu`). No state dict
    /// records it: it comes from the published variant, the convention's numerics, or the user.
    public var activation: Activation
    public var numClasses: Int
    public var inChannels: Int

    public init(dim: Int, depth: Int, kernelSize: Int, patchSize: Int, activation: Activation = .gelu,
                numClasses: Int = 1000, inChannels: Int = 3) {
        self.dim = dim
        self.depth = depth
        self.kernelSize = kernelSize
        self.patchSize = patchSize
        self.activation = activation
        self.numClasses = numClasses
        self.inChannels = inChannels
    }

    public var family: Family { .convmixer }

    /// The published variants (timm names).
    public static let variants: [(name: String, spec: ConvMixerSpec)] = [
        ("1536_20", ConvMixerSpec(dim: 1536, depth: 20, kernelSize: 9, patchSize: 7)),
        ("768_32", ConvMixerSpec(dim: 768, depth: 32, kernelSize: 7, patchSize: 7, activation: .relu)),
        ("1024_20_ks9_p14", ConvMixerSpec(dim: 1024, depth: 20, kernelSize: 9, patchSize: 14)),
    ]

    public var summary: String {
        "ConvMixer-\(dim)/\(depth) kernel \(kernelSize) patch \(patchSize) \(activation), "
            + (numClasses == 0 ? "no head (backbone only)" : "\(numClasses) classes")
    }

    private func bn(_ prefix: String) -> [ParameterSpec] {
        [.init(prefix + ".weight", [dim], .bnWeight), .init(prefix + ".bias", [dim], .bnBias),
         .init(prefix + ".running_mean", [dim], .bnRunningMean), .init(prefix + ".running_var", [dim], .bnRunningVar)]
    }

    public func parameters() -> [ParameterSpec] {
        var p: [ParameterSpec] = [
            .init("stem.0.weight", [dim, inChannels, patchSize, patchSize], .convWeight),
            .init("stem.0.bias", [dim], .convBias),
        ]
        p += bn("stem.2")
        for i in 0..<depth {
            p.append(.init("blocks.\(i).0.fn.0.weight", [dim, 1, kernelSize, kernelSize], .convWeight))
            p.append(.init("blocks.\(i).0.fn.0.bias", [dim], .convBias))
            p += bn("blocks.\(i).0.fn.2")
            p.append(.init("blocks.\(i).1.weight", [dim, dim, 1, 1], .convWeight))
            p.append(.init("blocks.\(i).1.bias", [dim], .convBias))
            p += bn("blocks.\(i).3")
        }
        if numClasses > 0 {  // 0: headless (timm `num_classes=0`), features only
            p.append(.init("head.weight", [numClasses, dim], .linearWeight))
            p.append(.init("head.bias", [numClasses], .linearBias))
        }
        return p
    }

    /// torch BatchNorm2d's `num_batches_tracked` (int64 scalar) after each BatchNorm's running variance.
    public func bookkeepingBuffers() -> [BookkeepingBuffer] {
        parameters().filter { $0.role == .bnRunningVar }.map { p in
            BookkeepingBuffer(name: String(p.name.dropLast("running_var".count)) + "num_batches_tracked", dtype: .i64,
                              shape: [], after: p.name)
        }
    }

    public func macs(resolution: Int) -> Int {
        let hw = resolution / patchSize
        var total = hw * hw * dim * inChannels * patchSize * patchSize
        total += depth * (hw * hw * dim * kernelSize * kernelSize + hw * hw * dim * dim)
        total += dim * numClasses
        return total
    }
}
