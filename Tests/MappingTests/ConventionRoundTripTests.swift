import CNZooCore
import CNZooMapping
import Testing

@Suite struct ConventionRoundTripTests {
    static let conventionNames = Conventions.names
    /// Every ordered pair, except Keras with a features convention: the Keras convention reads its spec from the head
    /// layers (keras.applications' include_top=False files are not read yet), so it names no features-only backbone.
    static let pairs: [(String, String)] = conventionNames.flatMap { a in conventionNames.map { (a, $0) } }.filter { a, b in
        let features = ["torchvision-features", "timm-features"]
        return !(Set([a, b]).contains("keras") && (features.contains(a) || features.contains(b)))
    }

    /// For every ordered pair (A, B): A → B → A gives back A bit-exactly in the same key order, and B is exactly what
    /// encoding the canonical checkpoint to B gives (so the detour through A loses nothing).
    @Test(arguments: pairs)
    func convnextPairRoundTrips(_ a: String, _ b: String) throws {
        let ca = try #require(Conventions.named(a)), cb = try #require(Conventions.named(b))
        // Keras names blocks by global counters, so stages of equal width (convnextNoScale's dims [4,4,8,8]) cannot
        // be told apart from the names: that spec is left out for keras (KerasConventionTests covers no-scale).
        let keras = [a, b].contains("keras")
        // The features conventions (torchvision `model.features`, timm `features_only`) name features-only
        // backbones only: every pair with one of them runs on the same specs without final norm and classifier.
        let featuresOnly = [ca, cb].contains { $0.slots(for: Micro.convnext) == nil }
        for var spec in [Micro.convnext, Micro.convnextNoScale] where !(keras && spec == Micro.convnextNoScale) {
            if featuresOnly {
                spec.numClasses = 0
                spec.finalNorm = false
            }
            let source = try Micro.spelled(spec, ca)
            let there = try Micro.convert(source, to: cb)
            #expect(try Micro.identical(there, Micro.spelled(spec, cb)), "\(a) → \(b) differs from direct encoding")
            let back = try Micro.convert(there, to: ca)
            #expect(try Micro.identical(back, source), "\(a) → \(b) → \(a) is not bit-exact")
        }
    }

    static let convmixerConventions = Conventions.all.filter { $0.slots(for: Micro.convmixer) != nil }.map(\.name)

    @Test func convmixerIsNamedByCanonicalTimmAndMindCV() {
        #expect(Self.convmixerConventions == ["canonical", "timm", "mindcv"])
    }

    @Test(arguments: convmixerConventions.flatMap { a in convmixerConventions.map { (a, $0) } })
    func convmixerPairRoundTrips(_ a: String, _ b: String) throws {
        let ca = try #require(Conventions.named(a)), cb = try #require(Conventions.named(b))
        let source = try Micro.spelled(Micro.convmixer, ca)
        let there = try Micro.convert(source, to: cb)
        #expect(try Micro.identical(there, Micro.spelled(Micro.convmixer, cb)))
        #expect(try Micro.identical(Micro.convert(there, to: ca), source))
    }

    @Test func torchvisionLayerScaleIsReshapedWithoutCopy() throws {
        let tv = try Micro.spelled(Micro.convnext, TorchVisionConvention())
        let ls = try #require(tv.tensor(named: "features.1.0.layer_scale"))
        #expect(ls.shape == [4, 1, 1])
        let mv = try Micro.convert(tv, to: MindSporeVisionConvention())
        let gamma = try #require(mv.tensor(named: "backbone.block1.0.gamma"))
        #expect(gamma.shape == [4])
        #expect(try gamma.data.readAll() == ls.data.readAll())
        // Zero copy: the same in-memory source is handed through.
        if case let .bytes(a) = gamma.data.source, case let .bytes(b) = ls.data.source { #expect(a == b) } else {
            Issue.record("layer scale data was not passed through")
        }
    }

    @Test func conventionsSpellKnownNames() throws {
        let spec = try #require(ConvNeXtSpec.variant("tiny"))
        func names(_ c: any NamingConvention) throws -> Set<String> { Set(try #require(c.slots(for: spec)).map(\.name)) }
        let mv = try names(MindSporeVisionConvention())
        for n in ["backbone.start_cell.0.weight", "backbone.start_cell.2.gamma", "backbone.block1.2.gamma",
                  "backbone.block1.0.layer_norm.beta", "backbone.down_sample_blocks.0.layer_norm.gamma",
                  "backbone.down_sample_blocks.4.conv.weight", "backbone.down_sample_blocks.5.2.pwconv2.bias",
                  "neck.layer_norm.gamma", "head.dense.weight"] { #expect(mv.contains(n), "\(n)") }
        let mcv = try names(MindCVConvention())
        for n in ["feature.0.1.gamma", "feature.1.0.gamma_", "feature.6.0.beta", "feature.7.2.norm.gamma",
                  "norm.beta", "classifier.weight"] { #expect(mcv.contains(n), "\(n)") }
        let fb = try #require(OfficialConvention().slots(for: spec))
        #expect(fb.prefix(2).map(\.name) == ["downsample_layers.0.0.weight", "downsample_layers.0.0.bias"])
        #expect(fb.map(\.name).contains("stages.2.8.gamma"))
        #expect(fb.suffix(2).map(\.name) == ["head.weight", "head.bias"])
        let timm = try names(TimmConvention())
        for n in ["stem.1.weight", "stages.1.downsample.1.weight", "stages.3.blocks.2.mlp.fc2.bias",
                  "stages.0.blocks.0.gamma", "head.norm.weight"] { #expect(timm.contains(n), "\(n)") }
        let tv = try #require(TorchVisionConvention().slots(for: spec))
        #expect(tv.count == 182)
        #expect(tv[4].name == "features.1.0.layer_scale" && tv[4].shape == [96, 1, 1])
        let mcvMixer = try #require(MindCVConvention().slots(for: ConvMixerSpec.variants[1].spec)).map(\.name)
        #expect(mcvMixer.contains("network.2.moving_variance"))
        #expect(mcvMixer.contains("network.34.3.gamma"))
        #expect(mcvMixer.last == "network.37.bias")
    }

    @Test func numericsPerFramework() {
        #expect(MindSporeVisionConvention().numerics(family: "convnext") == Numerics(gelu: .tanh, headNormEps: 1e-7))
        #expect(MindCVConvention().numerics(family: "convnext")?.gelu == .tanh)
        #expect(MindCVConvention().numerics(family: "convnext")?.headNormEps == 1e-6)
        for c in ["torchvision", "official", "timm"] {
            #expect(Conventions.named(c)?.numerics(family: "convnext") == Numerics(gelu: .erf))
        }
        #expect(TorchVisionConvention().numerics(family: "convmixer") == nil)
    }
}
