import CNZooCore
import CNZooMapping
import CNZooModels
import CNZooNumPy

/// `cnzoo verify --variant V`: the deterministic weights of a published ConvNeXt size, run in Swift and compared
/// with logits recorded from the real torchvision and mindcv models on the same weights and inputs
/// (Fixtures/forward/, written by Fixtures/generate_forward.py).
public enum ReferenceParity {
    /// The seed of the reference weights (inputs use `seed + 1`).
    public static let seed: UInt64 = 2022
    /// Input resolution of the references.
    public static let resolution = 224

    /// A framework whose logits were recorded, and the numerics Swift must use to be compared with it.
    public struct ReferenceRun: Sendable {
        public let name: String
        public let numerics: Numerics
        public let tolerance: Float
        public let why: String
    }

    /// torchvision runs exact-erf GELU and eps 1e-6; mindcv runs MindSpore's default tanh GELU and eps 1e-6.
    /// Both tolerances cover float32 reassociation only (different GEMM blocking and reduction orders over up to
    /// 36 blocks): measured Swift differences are ~1e-5 on logits of magnitude ~1, while the erf-vs-tanh GELU
    /// choice alone moves the logits by ~3e-4, so a tolerance of 1e-4 still catches the wrong GELU form.
    public static let frameworks: [ReferenceRun] = [
        ReferenceRun(name: "torchvision", numerics: .pytorch, tolerance: 1e-4,
                  why: "same numerics (erf GELU, eps 1e-6); float32 summation order only"),
        ReferenceRun(name: "mindcv", numerics: .mindcv, tolerance: 1e-4,
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

    /// Runs the comparison for `variant`, appending rows to `report`; returns the model and inputs for later steps.
    public static func run(variant: String, fixtures: String, options: ForwardOptions = ForwardOptions(),
                           into report: inout VerifyReport) throws -> (Checkpoint, [Float], Int) {
        guard let spec = ConvNeXtSpec.variant(variant) else {
            throw CNZooError(.usage, "unknown variant '\(variant)' (tiny, small, base, large, xlarge)")
        }
        let weights = DeterministicWeights.checkpoint(spec, seed: seed)
        var references: [(ReferenceRun, [Float])] = []
        var batch = 0
        for fw in frameworks {
            let path = "\(fixtures)/\(spec.variantName ?? variant)_logits_\(fw.name).npy"
            guard fileExists(path) else { continue }
            let arr = try NumPyFormat.read(path: path)
            guard arr.shape.count == 2, arr.shape[1] == spec.numClasses, arr.shape[0] >= 1 else {
                throw CNZooError(.malformed, "expected reference logits [batch, \(spec.numClasses)], found \(arr.shape)", file: path)
            }
            guard batch == 0 || batch == arr.shape[0] else {
                throw CNZooError(.malformed, "reference batch \(arr.shape[0]) differs from \(batch)", file: path)
            }
            batch = arr.shape[0]
            references.append((fw, try arr.floats()))
        }
        guard !references.isEmpty else {
            throw CNZooError(.notFound, "no reference logits for convnext_\(variant) in \(fixtures)")
        }
        let x = DeterministicWeights.inputs(batch: batch, height: resolution, width: resolution, seed: seed)
        report.inputs = "\(batch) × 3×\(resolution)×\(resolution), SplitMix64 seed \(seed + 1)"
        let model = try ForwardModels.make(canonical: weights, spec: spec, numerics: .pytorch, options: options)
        report.gemm = model.gemmEngine.rawValue
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

    /// Parity rows for each input of a batch.
    public static func rows(weights: String, swift: [Float], reference: [Float], batch: Int, classes: Int,
                            framework: ReferenceRun) -> [VerifyReport.ParityRow] {
        (0..<batch).map { i in
            let r = (i * classes)..<((i + 1) * classes)
            let diff = LogitComparison.maxAbsDiff(swift[r], reference[r])
            let s1 = LogitComparison.argmax(swift[r]), r1 = LogitComparison.argmax(reference[r])
            let gap = LogitComparison.top1Gap(reference[r])
            // A top-1 flip only counts as a failure when the reference's own margin exceeds the tolerance.
            let topOK = s1 == r1 || gap <= 2 * framework.tolerance
            return VerifyReport.ParityRow(weights: weights, input: i, reference: framework.name,
                                          numerics: framework.numerics.description, swiftTop1: s1, referenceTop1: r1,
                                          referenceTop1Gap: gap, maxAbsDiff: diff, tolerance: framework.tolerance,
                                          passed: diff <= framework.tolerance && topOK, why: framework.why)
        }
    }
}
