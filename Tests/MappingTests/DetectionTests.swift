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
