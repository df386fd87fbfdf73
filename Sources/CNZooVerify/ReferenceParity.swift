import CNZooCore
import CNZooEmbeddedData
import CNZooMapping
import CNZooModels
import CNZooNumPy

/// `cnzoo verify --variant V`: the deterministic weights of a published ConvNeXt or ConvMixer, run in Swift and
/// compared with logits recorded from the real frameworks on the same weights and inputs (Fixtures/forward/, written
/// by Fixtures/generate_forward.py: torchvision and mindcv; Fixtures/generate_convmixer.py: timm and a MindSpore cell),
/// built into the binary as ``builtInFixtures``.
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
    public static let frameworks: [ReferenceRun] = [
        ReferenceRun(name: "torchvision", numerics: .pytorch, tolerance: 1e-4,
                  why: "same numerics (erf GELU, eps 1e-6); float32 summation order only"),
        ReferenceRun(name: "mindcv", numerics: .mindcv, tolerance: 1e-4,
                  why: "Swift in tanh-GELU mode (MindSpore nn.GELU default); float32 summation order only"),
    ]

    /// The reference logits built into the binary at build time from `Fixtures/forward` (`<built-in>/Fixtures/forward`).
    public static let builtInFixtures = EmbeddedFiles.path("Fixtures/forward")

    /// The reference directory: `explicit` (`--references DIR`), else the references built into the binary
    /// (``builtInFixtures``), so `cnzoo verify --variant` works from any directory.
    public static func locateFixtures(explicit: String?) -> String { explicit ?? builtInFixtures }

    /// The reference array at `path`, from the built-in data or the file system; nil when there is none.
    static func readReference(_ path: String) throws -> NumPyArray? {
        if EmbeddedFiles.isEmbedded(path) {
            do {
                return try EmbeddedFiles.contents(atPath: path).map(NumPyFormat.read(bytes:))
            } catch let e as CNZooError {
                throw e.inFile(path)
            }
        }
        guard (try? MappedFile(path: path)) != nil else { return nil }
        return try NumPyFormat.read(path: path)
    }

    /// timm runs exact-erf GELU (ReLU for 768_32); the MindSpore MindCV-branch cell (built from `mindspore.nn`
    /// cells; mindcv 0.3.0 has no ConvMixer) runs `nn.GELU()`'s tanh form (ReLU for 768_32). BatchNorm eps 1e-5 on
    /// both. Measured Swift differences ≤ 1e-6 on logits of magnitude ~1; erf vs tanh GELU moves them ~1e-4.
    public static let convMixerFrameworks: [ReferenceRun] = [
        ReferenceRun(name: "timm", numerics: .pytorch, tolerance: 1e-4,
                     why: "same numerics (erf GELU or ReLU, BatchNorm eps 1e-5); float32 summation order only"),
        ReferenceRun(name: "mindspore", numerics: .mindcv, tolerance: 1e-4,
                     why: "Swift with MindSpore's activation (tanh GELU or ReLU, eps 1e-5); float32 summation order only"),
    ]

    /// The recorded runs of a published variant and the file-name stem of its logits (`tiny`, `convmixer_768_32`),
    /// or nil when none are recorded for its family.
    public static func references(for spec: any ArchitectureSpec) -> (runs: [ReferenceRun], stem: String)? {
        if let s = spec as? ConvNeXtSpec, let name = s.variantName { return (frameworks, name) }
        if let name = ArchitectureFamilies.family(.convmixer)?.variantName(spec) { return (convMixerFrameworks, name) }
        return nil
    }

    /// Runs the comparison for `variant` (a zoo id such as `convnext_tiny` or `convmixer_768_32`, or a ConvNeXt size),
    /// appending rows to `report`; returns the weights and inputs for later steps. `adjust` applies explicit numerics
    /// choices (`--activation`, eps) to each framework's: a wrong one makes the comparison fail, as it should.
    public static func run(variant: String, fixtures: String, options: ForwardOptions = ForwardOptions(),
                           adjust: (Numerics) -> Numerics = { $0 },
                           into report: inout VerifyReport) throws -> (Checkpoint, [Float], Int) {
        guard let spec = ArchitectureFamilies.spec(variant: variant), let (runs, stem) = references(for: spec) else {
            throw CNZooError(.usage, "unknown variant '\(variant)' (known: "
                             + ArchitectureFamilies.variantIDs.joined(separator: ", ") + ")")
        }
        let weights = try DeterministicWeights.checkpoint(spec, seed: seed)
        let model = try ForwardModels.make(canonical: weights, spec: spec, numerics: adjust(.pytorch), options: options)
        let classes = model.numClasses
        var references: [(ReferenceRun, [Float])] = []
        var batch = 0
        for fw in runs {
            let path = "\(fixtures)/\(stem)_logits_\(fw.name).npy"
            guard let arr = try readReference(path) else { continue }
            guard arr.shape.count == 2, arr.shape[1] == classes, arr.shape[0] >= 1 else {
                throw CNZooError(.malformed, "expected reference logits [batch, \(classes)], found \(arr.shape)", file: path)
            }
            guard batch == 0 || batch == arr.shape[0] else {
                throw CNZooError(.malformed, "reference batch \(arr.shape[0]) differs from \(batch)", file: path)
            }
            batch = arr.shape[0]
            references.append((fw, try arr.floats()))
        }
        guard !references.isEmpty else {
            throw CNZooError(.notFound, "no reference logits for \(stem) in \(fixtures)")
        }
        let x = DeterministicWeights.inputs(batch: batch, height: resolution, width: resolution, seed: seed)
        report.inputs = "\(batch) × 3×\(resolution)×\(resolution), SplitMix64 seed \(seed + 1)"
        report.gemm = model.gemmEngine.rawValue
        var swiftByNumerics: [Numerics: [Float]] = [:]
        for (fw, ref) in references {
            model.numerics = adjust(fw.numerics)
            let logits = try swiftByNumerics[model.numerics] ?? model.forward(x, batch: batch, height: resolution, width: resolution)
            swiftByNumerics[model.numerics] = logits
            report.parity += rows(weights: "reference", swift: logits, reference: ref, batch: batch,
                                  classes: classes, framework: fw, numerics: numericsLabel(model))
        }
        // Why per-framework numerics: Swift under the first framework's numerics against the second's logits.
        if references.count == 2, let first = swiftByNumerics[adjust(references[0].0.numerics)] {
            let d = LogitComparison.maxAbsDiff(first, references[1].1)
            report.notes.append("Swift under \(references[0].0.name)'s numerics vs \(references[1].0.name)'s logits: max abs "
                                + "diff \(d) (the GELU form alone, where the model uses GELU); hence each framework is "
                                + "compared under its own numerics")
        }
        return (weights, x, batch)
    }

    /// How a model computes, for the report: ConvMixer's activation and BatchNorm eps, else the numerics.
    static func numericsLabel(_ model: any ForwardModel) -> String {
        guard let m = model as? ConvMixerModel else { return model.numerics.description }
        return "\(m.activation), bn eps \(m.numerics.batchNormEps)"
    }

    /// Parity rows for each input of a batch.
    public static func rows(weights: String, swift: [Float], reference: [Float], batch: Int, classes: Int,
                            framework: ReferenceRun, numerics: String? = nil) -> [VerifyReport.ParityRow] {
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
