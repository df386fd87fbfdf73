import CNZooCore

/// torchvision `model.features.state_dict()`: a features-only ConvNeXt backbone (no final norm, no classifier)
/// under torchvision's names without the `features.` module prefix (`0.0.weight`, `1.0.block.0.weight`,
/// `1.0.layer_scale` `[C,1,1]`, `2.0.weight` …): what `model.features.load_state_dict` takes. Names features-only
/// specs only; a spec with a head is refused, not written half-way.
public struct TorchVisionFeaturesConvention: NamingConvention, ConvNeXtNaming {
    public init() {}
    public var name: String { "torchvision-features" }
    public var aliases: [String] { ["tv-features"] }
    public var framework: Framework { .pytorch }
    public var summary: String { "torchvision model.features (0.0, 1.0.block.0, layer_scale [C,1,1]; no head)" }

    private static let base = TorchVisionConvention()

    public func numerics(family: Family) -> Numerics? { Self.base.numerics(family: family) }

    public func slots(for spec: any ArchitectureSpec) -> [Slot]? {
        guard let s = spec as? ConvNeXtSpec, s.isFeaturesOnly else { return nil }
        return convnextSlots(s)
    }

    public func convnextName(_ site: ConvNeXtSite, leaf: String) -> (name: String, alternates: [String]) {
        let n = Self.base.convnextName(site, leaf: leaf)
        return (n.name.hasPrefix("features.") ? String(n.name.dropFirst("features.".count)) : n.name, [])
    }

    public func convnextShape(_ site: ConvNeXtSite, canonical: [Int]) -> [Int] {
        Self.base.convnextShape(site, canonical: canonical)
    }
}

/// timm `create_model(..., features_only=True)` (`FeatureListNet`): a features-only ConvNeXt backbone under timm's
/// names with the top-level module path flattened (`stem_0.weight`, `stages_0.blocks.0.conv_dw.weight`,
/// `stages_1.downsample.0.weight` …; no `head`). Names features-only specs only.
public struct TimmFeaturesConvention: NamingConvention, ConvNeXtNaming {
    public init() {}
    public var name: String { "timm-features" }
    public var framework: Framework { .pytorch }
    public var summary: String { "timm features_only=True (stem_0, stages_0.blocks.0.conv_dw; no head)" }

    private static let base = TimmConvention()

    public func numerics(family: Family) -> Numerics? { Self.base.numerics(family: family) }

    public func slots(for spec: any ArchitectureSpec) -> [Slot]? {
        guard let s = spec as? ConvNeXtSpec, s.isFeaturesOnly else { return nil }
        return convnextSlots(s)
    }

    /// timm's name with its first `.` (`stem.0`, `stages.2`) turned into `_`, as `FeatureListNet` flattens the
    /// modules it keeps.
    public func convnextName(_ site: ConvNeXtSite, leaf: String) -> (name: String, alternates: [String]) {
        var n = Self.base.convnextName(site, leaf: leaf).name
        if let dot = n.firstIndex(of: ".") { n.replaceSubrange(dot...dot, with: "_") }
        return (n, [])
    }
}
