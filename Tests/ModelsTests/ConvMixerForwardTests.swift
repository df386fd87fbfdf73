import CNZooCore
import CNZooFormats
import CNZooMapping
import CNZooModels
import CNZooNumPy
import CNZooTestSupport
import CNZooVerify
import Foundation
import Testing

/// The micro ConvMixers of Fixtures/generate_convmixer.py: the REAL timm ConvMixer (`.pth`, erf GELU or ReLU) and
/// the REAL MindSpore MindCV-branch cell tree (`.ckpt`, tanh GELU or ReLU), same deterministic weights, logits
/// recorded from both.
@Suite struct ConvMixerForwardTests {
    /// Logits are ~0.1–2 in magnitude; float32 reassociation over a few blocks stays near 1e-6.
    static let tolerance: Float = 1e-4

    struct Fixture {
        let name: String
        let canonical: Checkpoint
        let spec: ConvMixerSpec
        let input: [Float]
        let batch: Int, height: Int, width: Int
    }

    /// Reads `<name>_<source>` through cnzoo's reader, detection and mapper, as the CLI does.
    static func canonical(_ file: String) throws -> (Checkpoint, Detection) {
        let (ckpt, _) = try CheckpointIO.read(path: TestSupport.fixture("convmixer/" + file))
        let detection = try #require(Detector.detect(names: ckpt.tensors.map(\.name), shapes: ckpt.tensors.map(\.shape)))
        let (canonical, _) = try Mapper.decode(ckpt, from: detection.convention, spec: detection.spec,
                                               options: MappingOptions(prefix: detection.prefix))
        return (canonical, detection)
    }

    static func fixture(_ name: String, source: String = "timm.pth") throws -> Fixture {
        let (canonical, detection) = try canonical("\(name)_\(source)")
        let spec = try #require(detection.spec as? ConvMixerSpec)
        let x = try NumPyFormat.read(path: TestSupport.fixture("convmixer/\(name)_input.npy"))
        return Fixture(name: name, canonical: canonical, spec: spec, input: try x.floats(), batch: x.shape[0],
                       height: x.shape[2], width: x.shape[3])
    }

    static func reference(_ name: String, _ framework: String) throws -> [Float] {
        try NumPyFormat.read(path: TestSupport.fixture("convmixer/\(name)_logits_\(framework).npy")).floats()
    }

    /// Runs the fixture with an explicit activation (taken literally) and BatchNorm eps.
    static func run(_ f: Fixture, _ activation: CNZooCore.Activation, eps: Float = 1e-5, fold: Bool = true,
                    weights: Checkpoint? = nil, gemm: GemmEngine = .auto) throws -> [Float] {
        let model = try ConvMixerModel(checkpoint: weights ?? f.canonical,
                                       numerics: Numerics(gelu: .erf, batchNormEps: eps, activation: activation),
                                       foldBatchNorm: fold, gemm: gemm)
        return try model.forward(f.input, batch: f.batch, height: f.height, width: f.width)
    }

    /// `verify`'s own verdict: every row within the tolerance with the reference's top-1.
    static func passes(_ swift: [Float], _ reference: [Float], classes: Int, tolerance: Float = tolerance) -> Bool {
        let fw = ReferenceParity.ReferenceRun(name: "test", numerics: .pytorch, tolerance: tolerance, why: "test")
        return ReferenceParity.rows(weights: "fixture", swift: swift, reference: reference,
                                    batch: swift.count / classes, classes: classes, framework: fw).allSatisfy(\.passed)
    }

    @Test(arguments: [("gelu", CNZooCore.Activation.gelu), ("relu", .relu), ("k9p7", .gelu)])
    func matchesTimm(name: String, activation: CNZooCore.Activation) throws {
        let f = try Self.fixture(name)
        #expect(f.spec.activation == .gelu)  // the names cannot tell ReLU from GELU
        let logits = try Self.run(f, activation)
        let timm = try Self.reference(name, "timm")
        let diff = LogitComparison.maxAbsDiff(logits, timm)
        #expect(diff < Self.tolerance, "\(name): max abs diff vs timm \(diff)")
        #expect(Self.passes(logits, timm, classes: f.spec.numClasses))
        for r in 0..<f.batch {
            let row = (r * f.spec.numClasses)..<((r + 1) * f.spec.numClasses)
            #expect(LogitComparison.argmax(logits[row]) == LogitComparison.argmax(timm[row]))
        }
    }

    @Test(arguments: [("gelu", CNZooCore.Activation.geluTanh), ("relu", .relu), ("k9p7", .geluTanh)])
    func matchesTheMindSporeCell(name: String, activation: CNZooCore.Activation) throws {
        let f = try Self.fixture(name, source: "mindcv.ckpt")
        let (_, detection) = try Self.canonical("\(name)_mindcv.ckpt")
        #expect(detection.convention.name == "mindcv")
        let logits = try Self.run(f, activation)
        let ms = try Self.reference(name, "mindspore")
        let diff = LogitComparison.maxAbsDiff(logits, ms)
        #expect(diff < Self.tolerance, "\(name): max abs diff vs MindSpore \(diff)")
        #expect(Self.passes(logits, ms, classes: f.spec.numClasses))
    }

    @Test func timmAndMindSporeFilesHoldTheSameWeights() throws {
        for name in ["gelu", "relu", "k9p7", "headless"] {
            let (a, da) = try Self.canonical("\(name)_timm.pth")
            let (b, db) = try Self.canonical("\(name)_mindcv.ckpt")
            #expect(da.convention.name == "timm" && db.convention.name == "mindcv")
            #expect(a.tensors.map(\.name) == b.tensors.map(\.name))
            for (x, y) in zip(a.tensors, b.tensors) { #expect(try x.data.readAll() == y.data.readAll(), "\(x.name)") }
        }
    }

    @Test func swiftPRNGReproducesTheGeneratorsWeights() throws {
        for (name, seed) in [("gelu", UInt64(11)), ("relu", 12), ("k9p7", 13)] {
            let f = try Self.fixture(name)
            let mine = DeterministicWeights.checkpoint(f.spec, seed: seed)
            #expect(mine.tensors.map(\.name) == f.canonical.tensors.map(\.name))
            for (x, y) in zip(mine.tensors, f.canonical.tensors) {
                #expect(x.shape == y.shape)
                #expect(try x.data.readAll() == y.data.readAll(), "\(name): \(x.name) differs")
            }
            #expect(DeterministicWeights.inputs(batch: f.batch, height: f.height, width: f.width, seed: seed) == f.input)
        }
    }

    /// The BatchNorm fold (affine in double, last BatchNorm moved into the head) against the literal formula.
    @Test func foldedAndUnfoldedBatchNormAgree() throws {
        for (name, act) in [("gelu", CNZooCore.Activation.gelu), ("relu", .relu), ("k9p7", .gelu)] {
            let f = try Self.fixture(name)
            let folded = try Self.run(f, act), unfolded = try Self.run(f, act, fold: false)
            let timm = try Self.reference(name, "timm")
            #expect(LogitComparison.maxAbsDiff(unfolded, timm) < Self.tolerance)
            #expect(LogitComparison.maxAbsDiff(folded, unfolded) < 1e-5, "\(name)")
        }
    }

    @Test func bothGemmEnginesAgree() throws {
        let f = try Self.fixture("gelu")
        let timm = try Self.reference("gelu", "timm")
        for engine in [GemmEngine.openblas, .auto] {
            #expect(LogitComparison.maxAbsDiff(try Self.run(f, .gelu, gemm: engine), timm) < Self.tolerance, "\(engine)")
        }
    }

    // The comparison catches each plausible mistake: a wrong activation, a skipped BatchNorm, eps 1e-3.

    @Test func aWrongActivationFails() throws {
        let gelu = try Self.fixture("gelu")
        let timm = try Self.reference("gelu", "timm"), ms = try Self.reference("gelu", "mindspore")
        #expect(!Self.passes(try Self.run(gelu, .geluTanh), timm, classes: 10))
        #expect(!Self.passes(try Self.run(gelu, .relu), timm, classes: 10))
        #expect(!Self.passes(try Self.run(gelu, .gelu), ms, classes: 10))
        let relu = try Self.fixture("relu")
        #expect(!Self.passes(try Self.run(relu, .gelu), try Self.reference("relu", "timm"), classes: 7))
    }

    @Test(arguments: ["gelu", "relu", "k9p7"])
    func aSkippedBatchNormFails(name: String) throws {
        let f = try Self.fixture(name)
        let act: CNZooCore.Activation = name == "relu" ? .relu : .gelu
        let timm = try Self.reference(name, "timm")
        // One BatchNorm made the identity (γ 1, β 0, mean 0, var 1 − eps) is the same as skipping it.
        for prefix in ["stem.2", "blocks.0.0.fn.2", "blocks.\(f.spec.depth - 1).3"] {
            var skipped = f.canonical
            for i in skipped.tensors.indices where skipped.tensors[i].name.hasPrefix(prefix + ".") {
                let leaf = skipped.tensors[i].name.dropFirst(prefix.count + 1)
                let value: Float = leaf == "weight" ? 1 : leaf == "running_var" ? 1 - 1e-5 : 0
                skipped.tensors[i].data = .bytes(DeterministicWeights.littleEndianBytes(
                    [Float](repeating: value, count: f.spec.dim)))
            }
            #expect(!Self.passes(try Self.run(f, act, weights: skipped), timm, classes: f.spec.numClasses), "\(prefix)")
        }
    }

    @Test(arguments: ["gelu", "relu", "k9p7"])
    func epsTenTimesTooLargeFails(name: String) throws {
        let f = try Self.fixture(name)
        let act: CNZooCore.Activation = name == "relu" ? .relu : .gelu
        let timm = try Self.reference(name, "timm")
        let wrong = try Self.run(f, act, eps: 1e-3)
        #expect(!Self.passes(wrong, timm, classes: f.spec.numClasses),
                "eps 1e-3: max abs diff \(LogitComparison.maxAbsDiff(wrong, timm))")
        #expect(!Self.passes(try Self.run(f, act, eps: 1e-3, fold: false), timm, classes: f.spec.numClasses))
    }

    @Test func headlessAndBadInputsAreRefused() throws {
        let (headless, detection) = try Self.canonical("headless_timm.pth")
        #expect((detection.spec as? ConvMixerSpec)?.numClasses == 0)
        let error = try #require(throws: CNZooError.self) { try ConvMixerModel(checkpoint: headless, numerics: .pytorch) }
        #expect(error.message.contains("headless"))
        // Through the registry too (what forward and verify use).
        #expect(throws: CNZooError.self) {
            try ForwardModels.make(canonical: headless, spec: detection.spec, numerics: .pytorch)
        }
        let f = try Self.fixture("k9p7")
        let model = try ConvMixerModel(checkpoint: f.canonical, numerics: .pytorch)
        #expect(throws: CNZooError.self) { try model.forward(f.input, batch: 2, height: 40, width: 56) }
        #expect(throws: CNZooError.self) { try model.forward(Array(f.input.dropLast()), batch: 2, height: 42, width: 56) }
        var stray = f.canonical
        stray.tensors.append(TensorEntry(name: "stem.2.num_batches_tracked", dtype: .i64, shape: [], data: .bytes([UInt8](repeating: 0, count: 8))))
        #expect(throws: CNZooError.self) { try ConvMixerModel(checkpoint: stray, numerics: .pytorch) }
        var missing = f.canonical
        missing.tensors.removeAll { $0.name == "blocks.1.3.running_var" }
        #expect(throws: CNZooError.self) { try ConvMixerModel(checkpoint: missing, numerics: .pytorch) }
    }

    @Test func oneImageAtATimeMatchesTheBatch() throws {
        let f = try Self.fixture("gelu")
        let model = try ConvMixerModel(checkpoint: f.canonical, numerics: .pytorch, kernelThreads: 1)
        let all = try model.forward(f.input, batch: f.batch, height: f.height, width: f.width)
        let per = 3 * f.height * f.width
        let last = try model.forward(Array(f.input[(2 * per)...]), batch: 1, height: f.height, width: f.width)
        #expect(LogitComparison.maxAbsDiff(all[20...], last) < 1e-5)
        #expect(try model.forward(f.input, batch: f.batch, height: f.height, width: f.width) == all)
    }

    /// The activation run: an explicit one literally, else the spec's in the numerics' GELU form; eps changes refold.
    @Test func activationAndEpsFollowTheNumerics() throws {
        let f = try Self.fixture("relu")
        let relu = try ConvMixerModel(checkpoint: f.canonical, activation: .relu, numerics: .mindcv)
        #expect(relu.activation == .relu)
        let model = try ConvMixerModel(checkpoint: f.canonical, numerics: .mindcv)
        #expect(model.activation == .geluTanh)
        model.numerics = .pytorch
        #expect(model.activation == .gelu)
        model.numerics = Numerics(gelu: .tanh, activation: .gelu)
        #expect(model.activation == .gelu)
        model.numerics = Numerics(gelu: .erf, activation: .relu)
        let timm = try Self.reference("relu", "timm")
        let good = try model.forward(f.input, batch: f.batch, height: f.height, width: f.width)
        #expect(Self.passes(good, timm, classes: 7))
        model.numerics.batchNormEps = 1e-3
        #expect(!Self.passes(try model.forward(f.input, batch: f.batch, height: f.height, width: f.width), timm, classes: 7))
        model.numerics.batchNormEps = 1e-5
        #expect(try model.forward(f.input, batch: f.batch, height: f.height, width: f.width) == good)
    }
}

/// `cnzoo forward` and `cnzoo verify --checkpoint` on the micro ConvMixer files, end to end.
@Suite struct ConvMixerCLITests {
    func logits(_ checkpoint: String, input: String, _ extra: [String] = []) throws -> ([Float], TestSupport.RunResult) {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let r = try TestSupport.run(["forward", "--checkpoint", TestSupport.fixture("convmixer/" + checkpoint),
                                     "--input", TestSupport.fixture("convmixer/" + input), "--output", dir + "/y.npy"] + extra)
        guard r.status == 0 else { return ([], r) }
        return (try NumPyFormat.read(path: dir + "/y.npy").floats(), r)
    }

    @Test func forwardMatchesEachFrameworkInItsOwnNumerics() throws {
        // timm .pth → erf GELU; MindCV .ckpt → tanh GELU (the convention's numerics); ReLU only when said.
        for (file, input, reference, extra) in [("gelu_timm.pth", "gelu_input.npy", "gelu_logits_timm.npy", [String]()),
                                                ("gelu_mindcv.ckpt", "gelu_input.npy", "gelu_logits_mindspore.npy", []),
                                                ("relu_mindcv.ckpt", "relu_input.npy", "relu_logits_mindspore.npy",
                                                 ["--activation", "relu"])] {
            let (got, r) = try logits(file, input: input, extra)
            #expect(r.status == 0, "\(file): \(r.stderr)")
            let want = try NumPyFormat.read(path: TestSupport.fixture("convmixer/" + reference)).floats()
            #expect(LogitComparison.maxAbsDiff(got, want) < 1e-4, "\(file)")
        }
        // Without --activation relu the ReLU model runs GELU (nothing in the file says ReLU) and misses.
        let (gelu, _) = try logits("relu_timm.pth", input: "relu_input.npy")
        let relu = try NumPyFormat.read(path: TestSupport.fixture("convmixer/relu_logits_timm.npy")).floats()
        #expect(LogitComparison.maxAbsDiff(gelu, relu) > 1e-2)
    }

    @Test func headlessIsRefusedNamingTheFile() throws {
        let (_, r) = try logits("headless_timm.pth", input: "relu_input.npy")
        #expect(r.status == 2)
        #expect(r.stderr.contains("headless") && r.stderr.contains("headless_timm.pth"), "\(r.stderr)")
    }

    @Test func verifyCheckpointRoundTripsTimmThroughMindCV() throws {
        let r = try TestSupport.run(["verify", "--checkpoint", TestSupport.fixture("convmixer/k9p7_timm.pth"), "--json"])
        #expect(r.status == 0, "\(r.stderr)\(r.stdout)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let trips = try #require(json["round_trips"] as? [[String: Any]])
        let paths = trips.compactMap { $0["path"] as? String }
        #expect(paths.contains("timm .pth → mindcv .ckpt → timm .pth"), "\(paths)")
        #expect(trips.allSatisfy { $0["bit_exact"] as? Bool == true })
        #expect(json["passed"] as? Bool == true)
    }
}
