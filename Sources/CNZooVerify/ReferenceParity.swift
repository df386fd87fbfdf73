import CNZooCore
import CNZooMapping
import CNZooModels
import CNZooNumPy

/// `cnzoo verify --variant V`: the deterministic weights of a published ConvNeXt or ConvMixer size, run in Swift and
/// compared with logits recorded from the real frameworks on the same weights and inputs (Fixtures/forward/, written
/// by Fixtures/generate_forward.py and Fixtures/generate_convmixer.py).
public enum ReferenceParity {
    /// The seed of the reference weights (inputs use `seed + 1`).
    public static let seed: UInt64 = 2022
    /// Input resolution of the references.
    public static let resolution = 224

    /// A framework whose logits were recorded, and the numerics Swift must use to be compared with it.
    public struct Framework: Sendable {
        public let name: String
        public let numerics: Numerics
        public let tolerance: Float
        public let why: String

        public init(name: String, numerics: Numerics, tolerance: Float, why: String) {
            self.name = name
            self.numerics = numerics
            self.tolerance = tolerance
            self.why = why
        }
    }

    /// torchvision runs exact-erf GELU and eps 1e-6; mindcv runs MindSpore's default tanh GELU and eps 1e-6.
    /// Both tolerances cover float32 reassociation only (different GEMM blocking and reduction orders over up to
    /// 36 blocks): measured Swift differences are ~1e-5 on logits of magnitude ~1, while the erf-vs-tanh GELU
    /// choice alone moves the logits by ~3e-4, so a tolerance of 1e-4 still catches the wrong GELU form.
    public static let frameworks: [Framework] = [
        Framework(name: "torchvision", numerics: .pytorch, tolerance: 1e-4,
                  why: "same numerics (erf GELU, eps 1e-6); float32 summation order only"),
        Framework(name: "mindcv", numerics: .mindcv, tolerance: 1e-4,
                  why: "Swift in tanh-GELU mode (MindSpore nn.GELU default); float32 summation order only"),
    ]

    /// Finds the reference directory: `explicit`, else `Fixtures/forward` under the current directory or above the
    /// executable.
    public static func locateFixtures(explicit: String?, executablePath: String) throws -> String {
        if let explicit { return explicit }
        var candidates = ["Fixtures/forward"]
        var dir = executablePath
        for _ in 0..<6 {
            guard let slash = dir.lastIndex(of: "/") else { break }
            dir = String(dir[..<slash])
            if dir.isEmpty { break }
            candidates.append(dir + "/Fixtures/forward")
        }
        for c in candidates where fileExists(c + "/tiny_logits_torchvision.npy") { return c }
        throw CNZooError(.notFound, "cannot find the reference logits (Fixtures/forward/*.npy); run from the cnzoo "
                         + "checkout or pass --references DIR")
    }

    static func fileExists(_ path: String) -> Bool { (try? MappedFile(path: path)) != nil }

    /// Runs the comparison for `variant` (`tiny` or `convnext_tiny`, ...), appending rows to `report`; returns the
    /// model and inputs for later steps.
    public static func run(variant: String, fixtures: String, threads: Int, gemm: GemmEngine = .auto,
                           into report: inout VerifyReport) throws -> (Checkpoint, [Float], Int) {
        guard let spec = ConvNeXtSpec.variant(variant) else {
            throw CNZooError(.usage, "unknown variant '\(variant)' (tiny, small, base, large, xlarge)")
        }
        let weights = DeterministicWeights.checkpoint(spec, seed: seed)
        let name = spec.variantName ?? variant
        let (references, batch) = try loadReferences(frameworks.map { ($0, "\(fixtures)/\(name)_logits_\($0.name).npy") },
                                                     classes: spec.numClasses, what: "convnext_\(name)", in: fixtures)
        let x = inputs(batch: batch, into: &report)
        let model = try ConvNeXtModel(checkpoint: weights, numerics: .pytorch, kernelThreads: threads, gemm: gemm)
        report.gemm = model.gemm.rawValue
        var swiftByNumerics: [Numerics: [Float]] = [:]
        for (fw, ref) in references {
            model.numerics = fw.numerics
            let logits = try swiftByNumerics[fw.numerics] ?? model.forward(x, batch: batch, height: resolution, width: resolution)
            swiftByNumerics[fw.numerics] = logits
            report.parity += rows(weights: "reference", swift: logits, reference: ref, batch: batch,
                                  classes: spec.numClasses, framework: fw)
        }
        // Why per-framework numerics: the erf-mode Swift logits against mindcv's.
        if let erf = swiftByNumerics[.pytorch], let mcv = references.first(where: { $0.0.name == "mindcv" })?.1 {
            let d = LogitComparison.maxAbsDiff(erf, mcv)
            report.notes.append("Swift with erf GELU vs mindcv (tanh GELU): max abs diff \(d) — the GELU form alone; "
                                + "hence mindcv is compared with Swift in tanh mode")
        }
        return (weights, x, batch)
    }

    /// The published ConvMixer size `name` names (`convmixer_768_32` or `768_32`), with its timm name.
    public static func convMixerVariant(_ name: String) -> (name: String, spec: ConvMixerSpec)? {
        let short = name.hasPrefix("convmixer_") ? String(name.dropFirst("convmixer_".count)) : name
        return ConvMixerSpec.variants.first { $0.name == short }
    }

    /// timm runs exact-erf GELU (ReLU for 768_32); the MindSpore MindCV-branch cell runs `nn.GELU()`'s tanh form
    /// (ReLU for 768_32). BatchNorm eps 1e-5 on both. The same float32-reassociation tolerance as ConvNeXt.
    public static let convMixerFrameworks: [Framework] = [
        Framework(name: "timm", numerics: .pytorch, tolerance: 1e-4,
                  why: "same numerics (erf GELU or ReLU, BatchNorm eps 1e-5); float32 summation order only"),
        Framework(name: "mindspore", numerics: .mindcv, tolerance: 1e-4,
                  why: "Swift with MindSpore's activation (tanh GELU or ReLU, eps 1e-5); float32 summation order only"),
    ]

    /// `cnzoo verify --variant convmixer_…`: the deterministic weights of a published ConvMixer run in Swift and
    /// compared with the logits of the real timm ConvMixer and the real MindSpore cell
    /// (Fixtures/forward/convmixer_*, written by Fixtures/generate_convmixer.py). `activation` overrides the one
    /// each framework used (the check then fails, as it should); so does a `batchNormEps` other than 1e-5.
    public static func runConvMixer(variant: String, fixtures: String, threads: Int, gemm: GemmEngine = .auto,
                                    activation: ConvMixerModel.Activation? = nil, batchNormEps: Float = 1e-5,
                                    into report: inout VerifyReport) throws -> (Checkpoint, [Float], Int) {
        guard let (name, spec) = convMixerVariant(variant) else {
            throw CNZooError(.usage, "unknown ConvMixer variant '\(variant)' ("
                             + ConvMixerSpec.variants.map { "convmixer_" + $0.name }.joined(separator: ", ") + ")")
        }
        let weights = DeterministicWeights.checkpoint(spec, seed: seed)
        let (references, batch) = try loadReferences(
            convMixerFrameworks.map { ($0, "\(fixtures)/convmixer_\(name)_logits_\($0.name).npy") },
            classes: spec.numClasses, what: "convmixer_\(name)", in: fixtures)
        let x = inputs(batch: batch, into: &report)
        let model = try ConvMixerModel(checkpoint: weights, activation: .relu, batchNormEps: batchNormEps,
                                       kernelThreads: threads, gemm: gemm)
        report.gemm = model.gemm.rawValue
        var swiftByActivation: [ConvMixerModel.Activation: [Float]] = [:]
        for (fw, ref) in references {
            let act = try activation ?? ConvMixerModel.Activation(spec: spec.activation, gelu: fw.numerics.gelu)
            model.activation = act
            let logits = try swiftByActivation[act] ?? model.forward(x, batch: batch, height: resolution, width: resolution)
            swiftByActivation[act] = logits
            report.parity += rows(weights: "reference", swift: logits, reference: ref, batch: batch,
                                  classes: spec.numClasses, framework: fw,
                                  numerics: "\(act.rawValue), bn eps \(batchNormEps)")
        }
        return (weights, x, batch)
    }

    /// Reads the reference logits that exist among `candidates` (at least one must), all `[batch, classes]`.
    static func loadReferences(_ candidates: [(Framework, String)], classes: Int, what: String,
                               in fixtures: String) throws -> ([(Framework, [Float])], Int) {
        var references: [(Framework, [Float])] = []
        var batch = 0
        for (fw, path) in candidates {
            guard fileExists(path) else { continue }
            let arr = try NumPyFormat.read(path: path)
            guard arr.shape.count == 2, arr.shape[1] == classes, arr.shape[0] >= 1 else {
                throw CNZooError(.malformed, "expected reference logits [batch, \(classes)], found \(arr.shape)", file: path)
            }
            guard batch == 0 || batch == arr.shape[0] else {
                throw CNZooError(.malformed, "reference batch \(arr.shape[0]) differs from \(batch)", file: path)
            }
            batch = arr.shape[0]
            references.append((fw, try arr.floats()))
        }
        guard !references.isEmpty else { throw CNZooError(.notFound, "no reference logits for \(what) in \(fixtures)") }
        return (references, batch)
    }

    /// The deterministic reference inputs (`batch` images at `resolution`), described in `report`.
    static func inputs(batch: Int, into report: inout VerifyReport) -> [Float] {
        report.inputs = "\(batch) × 3×\(resolution)×\(resolution), SplitMix64 seed \(seed + 1)"
        return DeterministicWeights.inputs(batch: batch, height: resolution, width: resolution, seed: seed)
    }

    /// Parity rows for each input of a batch.
    public static func rows(weights: String, swift: [Float], reference: [Float], batch: Int, classes: Int,
                            framework: Framework, numerics: String? = nil) -> [VerifyReport.ParityRow] {
        (0..<batch).map { i in
            let r = (i * classes)..<((i + 1) * classes)
            let diff = LogitComparison.maxAbsDiff(swift[r], reference[r])
            let s1 = LogitComparison.argmax(swift[r]), r1 = LogitComparison.argmax(reference[r])
            let gap = LogitComparison.top1Gap(reference[r])
            // A top-1 flip only counts as a failure when the reference's own margin exceeds the tolerance.
            let topOK = s1 == r1 || gap <= 2 * framework.tolerance
            return VerifyReport.ParityRow(weights: weights, input: i, reference: framework.name,
                                          numerics: numerics ?? framework.numerics.description, swiftTop1: s1, referenceTop1: r1,
                                          referenceTop1Gap: gap, maxAbsDiff: diff, tolerance: framework.tolerance,
                                          passed: diff <= framework.tolerance && topOK, why: framework.why)
        }
    }
}
