import CNZooCore

/// An architecture family as the detector sees it: a name-only skeleton spec to map names with, and a way to read
/// the exact spec back from canonical names and shapes. Adding a family = one file conforming to this plus one line
/// in `ArchitectureFamilies.all`.
public protocol ArchitectureFamily: Sendable {
    /// `convnext`, `convmixer`.
    var name: Family { get }
    /// Specs whose names together cover every index up to `maxIndex` (shapes are meaningless): used to map names
    /// before the real spec is known. Several when a convention's names depend on a size (MindCV ConvMixer's head
    /// is `network.{depth+5}`). The skeletons for `maxIndex` 0 must name every tensor `infer` cannot do without (the
    /// stem): the detector skips a convention none of whose names there occurs in a file.
    func skeletons(maxIndex: Int) -> [any ArchitectureSpec]
    /// The spec implied by canonical names and (canonical-layout) shapes, or nil if they do not describe one.
    func infer(_ shapes: [String: [Int]]) -> (any ArchitectureSpec)?
    /// The published variant name of `spec` (`convnext_base`, `convmixer_768_32`), if it is one.
    func variantName(_ spec: any ArchitectureSpec) -> String?
    /// The published variants' ids (`convnext_tiny`, …), as the zoo names them.
    var variantIDs: [String] { get }
    /// The spec of a published variant, by zoo id or by its short name within the family (`tiny`).
    func spec(variant: String) -> (any ArchitectureSpec)?
}

/// The registry of families the detector tries.
public enum ArchitectureFamilies {
    public static let all: [any ArchitectureFamily] = [ConvNeXtFamily(), ConvMixerFamily()]

    /// The spec of a published variant of any family: a zoo id (`convnext_tiny`, `convmixer_768_32`) or a short
    /// ConvNeXt size (`tiny`).
    public static func spec(variant: String) -> (any ArchitectureSpec)? {
        for f in all { if let s = f.spec(variant: variant) { return s } }
        return nil
    }

    /// Every published variant id, family by family (for help texts and messages).
    public static var variantIDs: [String] { all.flatMap(\.variantIDs) }

    /// The family implementation of `id`.
    public static func family(_ id: Family) -> (any ArchitectureFamily)? { all.first { $0.name == id } }
}

/// ConvNeXt: four stages; depths from the largest block index per stage, dims from the depthwise convs.
public struct ConvNeXtFamily: ArchitectureFamily {
    public init() {}
    public var name: Family { .convnext }

    /// A classifier skeleton and a features-only one (for conventions that name only features-only backbones).
    public func skeletons(maxIndex: Int) -> [any ArchitectureSpec] {
        let d = max(1, maxIndex + 1)
        return [ConvNeXtSpec(depths: [d, d, d, d], dims: [1, 1, 1, 1]),
                ConvNeXtSpec(depths: [d, d, d, d], dims: [1, 1, 1, 1], numClasses: 0, finalNorm: false)]
    }

    /// Stages are read while `stages.S.blocks.0.dwconv.weight` exists (at most `maxStages`); depths from the largest
    /// block index per stage, dims and kernel from the depthwise convs. The one place a ConvNeXt spec is inferred.
    public func infer(_ shapes: [String: [Int]]) -> (any ArchitectureSpec)? {
        guard let stem = shapes["stem.conv.weight"], stem.count == 4, stem[2] == stem[3] else { return nil }
        // No classifier (timm num_classes=0): a headless backbone, numClasses 0. No final norm either (torchvision
        // `model.features`, timm `features_only=True`): features only.
        let finalNorm = shapes["head.norm.weight"] != nil
        let head = shapes["head.fc.weight"] ?? [0, 0]
        guard head.count == 2, finalNorm || head[0] == 0 else { return nil }
        var depths: [Int] = []
        var dims: [Int] = []
        var kernel = 0
        while depths.count < Self.maxStages,
              let dw = shapes["stages.\(depths.count).blocks.0.dwconv.weight"], dw.count == 4 {
            let s = depths.count
            var b = 0
            while shapes["stages.\(s).blocks.\(b).dwconv.weight"] != nil { b += 1 }
            depths.append(b)
            dims.append(dw[0])
            if s == 0 { kernel = dw[2] }
        }
        guard !depths.isEmpty else { return nil }
        let layerScale = shapes["stages.0.blocks.0.layer_scale"] != nil
        return ConvNeXtSpec(depths: depths, dims: dims, kernelSize: kernel, patchSize: stem[2],
                            layerScale: layerScale, numClasses: head[0], inChannels: stem[1], finalNorm: finalNorm)
    }

    /// The most stages a spec is read with (the published models have 4).
    public static let maxStages = 8

    public func variantName(_ spec: any ArchitectureSpec) -> String? {
        guard let s = spec as? ConvNeXtSpec,
              let v = ConvNeXtSpec.variants.first(where: {
                  $0.spec.depths == s.depths && $0.spec.dims == s.dims && $0.spec.kernelSize == s.kernelSize
                      && $0.spec.patchSize == s.patchSize && $0.spec.layerScale == s.layerScale
                      && $0.spec.inChannels == s.inChannels
              }) else { return nil }
        return "convnext_" + v.name
    }

    public var variantIDs: [String] { ConvNeXtSpec.variants.map { "convnext_" + $0.name } }

    public func spec(variant: String) -> (any ArchitectureSpec)? { ConvNeXtSpec.variant(variant) }
}

/// ConvMixer: depth from the largest block index; the activation (not visible in weights) from the published
/// variant with the same shape, GELU otherwise.
public struct ConvMixerFamily: ArchitectureFamily {
    public init() {}
    public var name: Family { .convmixer }

    /// Depth `maxIndex + 1` covers block-indexed names; depth `maxIndex - 5` puts a Sequential-indexed head
    /// (`{depth+5}`) at the largest index.
    public func skeletons(maxIndex: Int) -> [any ArchitectureSpec] {
        [ConvMixerSpec(dim: 1, depth: max(1, maxIndex + 1), kernelSize: 1, patchSize: 1),
         ConvMixerSpec(dim: 1, depth: max(1, maxIndex - 5), kernelSize: 1, patchSize: 1)]
    }

    public func infer(_ shapes: [String: [Int]]) -> (any ArchitectureSpec)? {
        // No head: a headless model (numClasses 0), which the forward pass refuses by name.
        let head = shapes["head.weight"]
        guard let stem = shapes["stem.0.weight"], stem.count == 4, stem[2] == stem[3], head == nil || head?.count == 2,
              let dw = shapes["blocks.0.0.fn.0.weight"], dw.count == 4 else { return nil }
        var depth = 0
        while shapes["blocks.\(depth).1.weight"] != nil { depth += 1 }
        var spec = ConvMixerSpec(dim: stem[0], depth: depth, kernelSize: dw[2], patchSize: stem[2],
                                 numClasses: head?[0] ?? 0, inChannels: stem[1])
        if let v = Self.published(spec) { spec.activation = v.spec.activation }
        return spec
    }

    public func variantName(_ spec: any ArchitectureSpec) -> String? {
        guard let s = spec as? ConvMixerSpec, let v = Self.published(s) else { return nil }
        return "convmixer_" + v.name
    }

    public var variantIDs: [String] { ConvMixerSpec.variants.map { "convmixer_" + $0.name } }

    public func spec(variant: String) -> (any ArchitectureSpec)? {
        let short = variant.lowercased().hasPrefix("convmixer_") ? String(variant.dropFirst("convmixer_".count)) : variant
        return ConvMixerSpec.variants.first { $0.name == short.lowercased() }?.spec
    }

    private static func published(_ s: ConvMixerSpec) -> (name: String, spec: ConvMixerSpec)? {
        ConvMixerSpec.variants.first {
            $0.spec.dim == s.dim && $0.spec.depth == s.depth && $0.spec.kernelSize == s.kernelSize
                && $0.spec.patchSize == s.patchSize && $0.spec.inChannels == s.inChannels
        }
    }
}
