import CNZooCore
import CNZooMapping
import Testing

@Suite struct DetectionTests {
    /// The features conventions name only features-only backbones (classes 0, no final norm).
    static let featuresConventions = ["torchvision-features", "timm-features"]
    static let cases: [(String, String, Int)] = ["tiny", "small", "base", "large", "xlarge"].flatMap { v in
        Conventions.names.flatMap { c in (featuresConventions.contains(c) ? [0] : [1000, 21841]).map { (v, c, $0) } }
    }

    /// Names and shapes only (no weights): every size, every convention, 1k and 22k heads (features-only for the
    /// features conventions).
    @Test(arguments: cases)
    func detectsConventionAndVariant(_ variant: String, _ convention: String, _ classes: Int) throws {
        var spec = try #require(ConvNeXtSpec.variant(variant, numClasses: classes))
        spec.finalNorm = classes != 0
        let slots = try #require(Conventions.named(convention)?.slots(for: spec))
        let d = try #require(Detector.detect(names: slots.map(\.name), shapes: slots.map(\.shape)))
        #expect(d.convention.name == convention)
        #expect(d.family == "convnext")
        #expect(d.variant == "convnext_\(variant)")
        #expect((d.spec as? ConvNeXtSpec) == spec)
        #expect(d.confidence == 1)
        #expect(d.prefix == "")
        #expect(d.hints.contains("21841-class head (ImageNet-22k)") == (classes == 21841))
    }

    @Test(arguments: ["module.", "_orig_mod.", "module._orig_mod.", "ema."])
    func findsWrapperPrefixes(_ prefix: String) throws {
        let spec = try #require(ConvNeXtSpec.variant("tiny"))
        let slots = try #require(TimmConvention().slots(for: spec))
        let d = try #require(Detector.detect(names: slots.map { prefix + $0.name }, shapes: slots.map(\.shape)))
        #expect(d.convention.name == "timm")
        #expect(d.prefix == prefix)
        #expect(d.confidence == 1)
        #expect(d.hints.contains { $0.contains("`module.`") } == prefix.hasPrefix("module."))
    }

    @Test func customConfigIsReadBackFromShapes() throws {
        let spec = ConvNeXtSpec(depths: [2, 2, 6, 2], dims: [80, 160, 320, 640], kernelSize: 5, patchSize: 2,
                                layerScale: false, numClasses: 37)
        let slots = try #require(MindCVConvention().slots(for: spec))
        let d = try #require(Detector.detect(names: slots.map(\.name), shapes: slots.map(\.shape)))
        #expect((d.spec as? ConvNeXtSpec) == spec)
        #expect(d.variant == nil)
        #expect(d.hints.contains("no layer scale"))
    }

    /// The detector skips a convention none of whose smallest-skeleton names occur in a file. That loses nothing only
    /// while `infer` finds no spec without those names (the stem): checked for every family and published variant.
    @Test func inferNeedsTheSmallestSkeletonsNames() throws {
        let canonical = try #require(Conventions.named("canonical"))
        for family in ArchitectureFamilies.all {
            let probe = Set(family.skeletons(maxIndex: 0).flatMap { canonical.slots(for: $0) ?? [] }.map(\.canonical))
            for id in family.variantIDs {
                let slots = try #require(family.spec(variant: id).flatMap { canonical.slots(for: $0) })
                let shapes = Dictionary(slots.map { ($0.canonical, $0.canonicalShape) }, uniquingKeysWith: { a, _ in a })
                #expect(family.infer(shapes) != nil, "\(id): all names")
                #expect(family.infer(shapes.filter { !probe.contains($0.key) }) == nil, "\(id): without the probe's")
                #expect(shapes.count > shapes.filter { !probe.contains($0.key) }.count + 3)
            }
        }
    }

    @Test func convmixerVariantsAndActivation() throws {
        for (name, spec) in ConvMixerSpec.variants {
            for c in [TimmConvention() as any NamingConvention, MindCVConvention()] {
                let slots = try #require(c.slots(for: spec))
                var names = slots.map(\.name), shapes = slots.map(\.shape)
                if c.name == "timm" {  // a real timm state dict carries the BN counters
                    for b in c.synthesizedBuffers(for: spec).values.flatMap({ $0 }) { names.append(b.name); shapes.append([]) }
                }
                let d = try #require(Detector.detect(names: names, shapes: shapes))
                #expect(d.convention.name == c.name)
                #expect(d.variant == "convmixer_\(name)")
                #expect((d.spec as? ConvMixerSpec) == spec)
            }
        }
    }

    @Test func optimizerStateDoesNotLowerConfidence() throws {
        let spec = try #require(ConvNeXtSpec.variant("tiny"))
        let slots = try #require(MindSporeVisionConvention().slots(for: spec))
        var names = slots.map(\.name), shapes = slots.map(\.shape)
        for s in slots { names.append("moments." + s.name); shapes.append(s.shape) }
        names += ["global_step", "learning_rate", "beta1_power"]
        shapes += [[1], [], [1]]
        let d = try #require(Detector.detect(names: names, shapes: shapes))
        #expect(d.convention.name == "mindvision")
        #expect(d.confidence == 1)
        #expect(d.report.dropped.count == slots.count + 3)
        #expect(d.hints.contains { $0.contains("optimizer-state") })
    }

    @Test func unrelatedNamesAreNotDetected() {
        #expect(Detector.detect(names: ["encoder.layer.0.attention.weight", "pooler.dense.bias"], shapes: [[4, 4], [4]]) == nil)
    }
}
