import ArgumentParser
import CNZooConversion
import CNZooCore
import CNZooMapping
import CNZooModels
import CNZooVerify
import Foundation

/// `cnzoo verify`: forward-pass parity with real frameworks, and conversion round trips.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check cnzoo's ConvNeXt and ConvMixer against the real frameworks' logits, and check conversion round trips.",
        discussion: """
        --variant V (no download): builds the deterministic SplitMix64 weights of V, runs them in Swift and \
        compares with logits recorded from the real frameworks (Fixtures/forward): torchvision and mindcv for ConvNeXt, \
        timm and a MindSpore MindCV-branch cell for ConvMixer. \
        Then round-trips the weights through safetensors and torchvision .pth → MindCV .ckpt → MindSpore Vision .ckpt \
        → Keras .weights.h5 → torchvision .pth (ConvMixer: timm .pth → MindCV .ckpt → timm .pth), checking \
        bit-exactness and identical logits after every hop. \
        --checkpoint FILE: the same round trips and forward checks for your checkpoint (any format and convention; \
        BatchNorm num_batches_tracked counters the file holds are carried and checked too). \
        Exit code 1 if any check fails. \
        --checkpoint FILE --images DIR (or --labels LIST): top-1/top-5 accuracy on labelled images (DIR/<class>/*.jpg|png, \
        or `path label` lines), preprocessed as the checkpoint's zoo source publishes, compared with its published \
        top-1. Exit code 0 when it ran (accuracy is information), 1 below --min-top1, 2 on input errors.
        """)

    @Option(help: "A published variant: a zoo id (convnext_tiny …, convmixer_768_32 …) or a ConvNeXt size (tiny, small, base, large, xlarge).")
    var variant: String?

    @Option(help: "A checkpoint to verify (any readable format).")
    var checkpoint: String?

    @OptionGroup var source: SourceConventionOption

    @Option(help: "Directory of the reference logits (default: built in, from Fixtures/forward).")
    var references: String?

    @OptionGroup var numericsOptions: NumericsOptions

    @OptionGroup var imageOptions: ImageVerifyOptions

    @Flag(help: "Print a JSON report (top-level boolean `passed`; schema in docs/json/verify.schema.json).")
    var json = false

    @OptionGroup var reading: ReadingOptions

    func run() throws {
        try reportingErrors(json: json) {
            Gemm.setThreads(numericsOptions.threads)
            let clock = ContinuousClock()
            let t0 = clock.now
            if imageOptions.requested {
                guard let checkpoint else {
                    throw CNZooError(.usage, "--images / --labels need --checkpoint FILE")
                }
                return try verifyImages(checkpoint: checkpoint, started: t0)
            }
            var report = try checkpoint.map(verifyCheckpoint) ?? verifyVariant(variant ?? "tiny")
            let d = clock.now - t0
            report.seconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
            report.openblasCore = Gemm.coreName  // read after the work: reading it loads OpenBLAS
            if json {
                try Output.printJSON(report)
            } else {
                printTable(report)
            }
            if !report.passed { throw ExitCode(ExitStatus.checkFailed) }
        }
    }

    /// Load options for --checkpoint.
    var loadOptions: LoadOptions { LoadOptions(read: reading.readOptions, from: source.source) }

    /// The deterministic weights of a published variant against the recorded framework logits, then round trips.
    func verifyVariant(_ v: String) throws -> VerifyReport {
        guard let spec = ArchitectureFamilies.spec(variant: v), let short = ReferenceParity.references(for: spec)?.stem else {
            throw CNZooError(.usage, "no reference logits for variant '\(v)' (known: "
                             + ArchitectureFamilies.variantIDs.joined(separator: ", ") + ")")
        }
        var report = VerifyReport(variant: short, family: spec.family, architecture: spec.summary,
                                  source: "deterministic weights (SplitMix64 seed \(ReferenceParity.seed))", inputs: "")
        let fixtures = ReferenceParity.locateFixtures(explicit: references)
        let (weights, x, batch) = try ReferenceParity.run(variant: v, fixtures: fixtures, options: numericsOptions.forward,
                                                          adjust: numericsOptions.resolve, into: &report)
        try CheckpointParity.run(weights: weights, spec: spec, numerics: numericsOptions.resolve(.pytorch), inputs: x, batch: batch,
                                 resolution: ReferenceParity.resolution, options: numericsOptions.forward,
                                 trips: RoundTrip.standard(for: spec.family), into: &report)
        return report
    }

    /// A user's checkpoint: its logits on deterministic inputs, then the round trips with forward parity.
    func verifyCheckpoint(_ path: String) throws -> VerifyReport {
        let batch = 2, res = ReferenceParity.resolution
        let x = DeterministicWeights.inputs(batch: batch, height: res, width: res, seed: ReferenceParity.seed)
        var report: VerifyReport
        let weights: Checkpoint, spec: any ArchitectureSpec, numerics: Numerics, logits: [Float]
        do {  // the loaded model runs once and goes with this scope, before the round trips build their own
            let loaded = try ModelLoader.load(path, options: loadOptions, forward: numericsOptions.forward, variant: variant,
                                              adjust: numericsOptions.resolve)
            let model = loaded.model
            report = VerifyReport(variant: variant ?? loaded.loaded.detection.variant ?? "custom", family: loaded.spec.family,
                                  architecture: loaded.spec.summary,
                                  source: "\(path) (\(loaded.loaded.formatName), \(loaded.convention) names)", inputs: "")
            report.gemm = model.gemmEngine.rawValue
            report.wrapperKey = WrapperKeys.used(loaded.loaded.source)
            report.otherWeightKeys = WrapperKeys.others(loaded.loaded.source)
            report.inputs = "\(batch) × 3×\(res)×\(res), SplitMix64 seed \(ReferenceParity.seed + 1)"
            logits = try model.forward(x, batch: batch, height: res, width: res)
            let k = model.numClasses
            for i in 0..<batch {
                report.notes.append("input \(i): top-5 \(LogitComparison.topK(logits[(i * k)..<((i + 1) * k)], 5)) (\(model.numerics))")
            }
            (weights, spec, numerics) = (loaded.weights, loaded.spec, model.numerics)
        }
        try CheckpointParity.run(weights: weights, spec: spec, numerics: numerics, inputs: x,
                                 batch: batch, resolution: res, options: numericsOptions.forward,
                                 trips: RoundTrip.standard(for: spec.family), originalLogits: logits, into: &report)
        return report
    }

    func printTable(_ r: VerifyReport) {
        print("cnzoo verify: \(r.architecture)")
        print("weights: \(r.source); inputs: \(r.inputs)")
        if let line = Output.weightsLine(key: r.wrapperKey, others: r.otherWeightKeys) { print(line) }
        let reference = r.parity.filter { $0.weights == "reference" }
        if !reference.isEmpty {
            print("")
            print(Output.table(
                ["input", "framework", "swift numerics", "swift top-1", "ref top-1", "ref margin", "max |diff|", "tolerance", "result"],
                reference.map { p in
                    [String(p.input), p.reference, p.numerics, String(p.swiftTop1), String(p.referenceTop1),
                     short(p.referenceTop1Gap), short(p.maxAbsDiff), short(p.tolerance), p.passed ? "ok" : "FAIL"]
                }, rightAligned: [0, 3, 4, 5, 6, 7]))
            var whys: [String] = []
            for p in reference where !whys.contains("  \(p.reference): \(p.why)") { whys.append("  \(p.reference): \(p.why)") }
            print("tolerance: float32 reassociation only, each framework compared under its own numerics:")
            whys.forEach { print($0) }
        }
        if !r.roundTrips.isEmpty {
            print("")
            print("round trips (canonical → each format and naming → back to canonical), then the forward pass again:")
            print(Output.table(["path", "tensors", "bit-exact", "top-1 same", "max |diff|", "result"],
                               r.roundTrips.map { t in
                                   let rows = r.parity.filter { $0.weights == t.path }
                                   let same = rows.filter { $0.swiftTop1 == $0.referenceTop1 }.count
                                   let diff = rows.map(\.maxAbsDiff).max() ?? 0
                                   let ok = t.bitExact && !rows.isEmpty && rows.allSatisfy(\.passed)
                                   return [t.path, String(t.tensors), t.bitExact ? "yes" : "NO: \(t.detail)",
                                           "\(same)/\(rows.count)", short(diff), ok ? "ok" : "FAIL"]
                               }, rightAligned: [1, 3, 4]))
        }
        for n in r.notes { print("note: \(n)") }
        print("")
        print("\(r.passed ? "PASS" : "FAIL") in \(short(Float(r.seconds))) s (GEMM \(r.gemm), OpenBLAS \(r.openblasCore))")
    }

    func short(_ v: Float) -> String {
        if v == 0 { return "0" }
        return String(format: abs(v) >= 0.01 && abs(v) < 1000 ? "%.3f" : "%.2e", Double(v))
    }
}
