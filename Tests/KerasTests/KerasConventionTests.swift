import CNZooCore
import CNZooFormats
import CNZooKeras
@testable import CNZooMapping
import CNZooModels
import CNZooNumPy
import CNZooTestSupport
import Testing

@Suite struct KerasConventionTests {
    static let files = ["micro.weights.h5", "micro.keras", "micro_legacy_weights.h5", "micro_legacy_model.h5"]
    static let spec = ConvNeXtSpec(depths: [1, 1, 2, 1], dims: [8, 16, 32, 64], numClasses: 10)

    func canonical(_ name: String) throws -> Checkpoint {
        let (ckpt, _) = try CheckpointIO.read(path: TestSupport.fixture("keras/\(name)"))
        let d = try #require(Detector.detect(names: ckpt.tensors.map(\.name), shapes: ckpt.tensors.map(\.shape)))
        #expect(d.convention.name == "keras", "\(name)")
        #expect(d.spec as? ConvNeXtSpec == Self.spec, "\(name)")
        #expect(d.report.isExact, "\(name): \(d.report)")
        return try Mapper.decode(ckpt, from: d.convention, spec: d.spec).0
    }

    /// Every form keras wrote is detected as the keras convention with the right spec, maps strictly, and gives
    /// the same canonical bytes (legacy files by structure and position).
    @Test func everyFileFormDecodesToTheSameCanonicalWeights() throws {
        let reference = try canonical("micro.weights.h5")
        #expect(reference.tensors.map(\.name) == Self.spec.parameters().map(\.name))
        for name in Self.files.dropFirst() {
            let other = try canonical(name)
            #expect(other.tensors.map(\.name) == reference.tensors.map(\.name))
            for (a, b) in zip(other.tensors, reference.tensors) {
                #expect(a.shape == b.shape, "\(name): \(a.name)")
                #expect(try a.data.readAll() == b.data.readAll(), "\(name): \(a.name)")
            }
        }
    }

    /// Keras' `include_top=False` files (the form of its `_notop.h5` ImageNet weights; the final LayerNorm unnamed)
    /// are detected as the same ConvNeXt without a head, map strictly, and carry the full model's weights bit for
    /// bit; the `name` attributes cnzoo writes for a headless spec are the ones Keras wrote.
    @Test(arguments: ["micro_notop.weights.h5", "micro_notop_legacy.h5"])
    func notopFilesAreHeadless(_ name: String) throws {
        var headless = Self.spec
        headless.numClasses = 0
        let (ckpt, _) = try CheckpointIO.read(path: TestSupport.fixture("keras/\(name)"))
        let d = try #require(Detector.detect(names: ckpt.tensors.map(\.name), shapes: ckpt.tensors.map(\.shape)))
        #expect(d.convention.name == "keras")
        #expect(d.spec as? ConvNeXtSpec == headless)
        #expect(d.report.isExact, "\(d.report)")
        let decoded = try Mapper.decode(ckpt, from: d.convention, spec: d.spec).0
        let full = try canonical("micro.weights.h5")
        #expect(decoded.tensors.map(\.name) == full.tensors.map(\.name).filter { !$0.hasPrefix("head.fc.") })
        for t in decoded.tensors {
            let f = try #require(full.tensor(named: t.name))
            #expect(t.shape == f.shape, "\(t.name)")
            #expect(try t.data.readAll() == f.data.readAll(), "\(t.name)")
        }
        if name.hasSuffix(".weights.h5") {
            for (group, layer) in KerasConvention().layerNames(for: headless, model: "convnext_micro") {
                #expect(ckpt.metadata[KerasFormat.MetadataKey.namePrefix + group] == layer, "\(group)")
            }
        }
    }

    /// Canonical → keras names and layouts gives back the Keras file's tensors bit for bit.
    @Test func encodeReproducesTheKerasFile() throws {
        let (file, _) = try CheckpointIO.read(path: TestSupport.fixture("keras/micro.weights.h5"))
        let encoded = try Mapper.encode(try canonical("micro.weights.h5"), to: KerasConvention(), spec: Self.spec)
        #expect(Set(encoded.tensors.map(\.name)) == Set(file.tensors.map(\.name)))
        for t in encoded.tensors {
            let f = try #require(file.tensor(named: t.name))
            #expect(t.shape == f.shape, "\(t.name)")
            #expect(try t.data.readAll() == f.data.readAll(), "\(t.name)")
        }
    }

    /// cnzoo's forward pass with Keras numerics on the decoded weights reproduces keras' own logits.
    @Test func forwardMatchesKerasLogits() throws {
        let input = try NumPyFormat.read(path: TestSupport.fixture("keras/micro_input.npy"))
        #expect(input.shape == [2, 64, 96, 3])
        let want = try NumPyFormat.read(path: TestSupport.fixture("keras/micro_logits_keras.npy")).floats()
        let x = try input.floats()
        // Keras: NHWC 0–255 through Normalization(mean 255·m, variance (255·s)²); cnzoo: NCHW normalised.
        let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
        var nchw = [Float](repeating: 0, count: x.count)
        for n in 0..<2 { for h in 0..<64 { for w in 0..<96 { for c in 0..<3 {
            nchw[((n * 3 + c) * 64 + h) * 96 + w] = (x[((n * 64 + h) * 96 + w) * 3 + c] - 255 * mean[c]) / (255 * std[c])
        } } } }
        let numerics = try #require(KerasConvention().numerics(family: "convnext"))
        for name in Self.files {
            let model = try ConvNeXtModel(checkpoint: try canonical(name), numerics: numerics)
            let got = try model.forward(nchw, batch: 2, height: 64, width: 96)
            let diff = zip(got, want).map { abs($0 - $1) }.max() ?? .infinity
            #expect(got.count == want.count && diff < 1e-4, "\(name): max |Δlogit| \(diff)")
        }
    }

    /// A legacy file with a layer missing, or a Keras 3 file with one tensor of the wrong shape, fails strictly.
    @Test func strictMappingReportsWhatIsWrong() throws {
        let (legacy, _) = try CheckpointIO.read(path: TestSupport.fixture("keras/micro_legacy_weights.h5"))
        var cut = legacy
        cut.tensors.removeAll { $0.name.contains("stage_2_block_1_layer_scale") }
        #expect(throws: MappingFailure.self) { try Mapper.decode(cut, from: KerasConvention(), spec: Self.spec) }
        let (k3, _) = try CheckpointIO.read(path: TestSupport.fixture("keras/micro.weights.h5"))
        var bad = k3
        let i = try #require(bad.tensors.firstIndex { $0.name == "layers/dense_3/vars/0" })
        bad.tensors[i].shape = bad.tensors[i].shape.reversed()
        do {
            _ = try Mapper.decode(bad, from: KerasConvention(), spec: Self.spec)
            Issue.record("a transposed Dense kernel was accepted")
        } catch let f as MappingFailure {
            #expect(f.report.shapeMismatch.map(\.name) == ["layers/dense_3/vars/0"])
        }
    }

    /// The `name` attributes the writer records are the layer names Keras itself wrote.
    @Test func layerNamesMatchKeras() throws {
        let (k3, _) = try CheckpointIO.read(path: TestSupport.fixture("keras/micro.weights.h5"))
        let names = KerasConvention().layerNames(for: Self.spec, model: "convnext_micro")
        #expect(!names.isEmpty)
        for (group, layer) in names {
            #expect(k3.metadata[KerasFormat.MetadataKey.namePrefix + group] == layer, "\(group)")
        }
    }

    /// A ConvNeXt without layer scale (distinct stage widths) goes canonical → keras → canonical bit for bit, and is
    /// detected from the keras names alone.
    @Test func noLayerScaleRoundTrips() throws {
        let spec = ConvNeXtSpec(depths: [2, 1, 3, 1], dims: [4, 6, 8, 10], layerScale: false, numClasses: 3)
        var rng = SplitMix64(state: 5)
        let canonical = Checkpoint(tensors: spec.parameters().map { p in
            let n = Checked.elementCount(p.shape) ?? 0
            return TensorEntry(name: p.name, dtype: .f32, shape: p.shape,
                               data: .bytes((0..<(4 * n)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }))
        })
        let keras = try Mapper.encode(canonical, to: KerasConvention(), spec: spec)
        #expect(!keras.tensors.contains { $0.name.contains("layer_scale") })
        let d = try #require(Detector.detect(names: keras.tensors.map(\.name), shapes: keras.tensors.map(\.shape)))
        #expect(d.convention.name == "keras" && d.spec as? ConvNeXtSpec == spec)
        let back = try Mapper.decode(keras, from: KerasConvention(), spec: spec).0
        #expect(back.tensors.map(\.name) == canonical.tensors.map(\.name))
        for (x, y) in zip(back.tensors, canonical.tensors) { #expect(try x.data.readAll() == y.data.readAll()) }
    }
}
