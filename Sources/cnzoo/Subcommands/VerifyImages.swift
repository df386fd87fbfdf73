import ArgumentParser
import CNZooCore
import CNZooImages
import CNZooMapping
import CNZooModels
import CNZooVerify
import CNZooZoo
import Foundation

/// `cnzoo verify --checkpoint FILE --images DIR`: the options of the accuracy run.
struct ImageVerifyOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Labelled images: DIR/<class>/*.jpg|jpeg|png (numeric folder names are class indices, "
                               + "other names are sorted into indices).", valueName: "dir"))
    var images: String?

    @Option(help: ArgumentHelp("A list file of `path label` lines (paths relative to --images, else to the list file).",
                               valueName: "file"))
    var labels: String?

    @Option(name: .customLong("zoo-id"), help: "Zoo entry whose preprocessing and published top-1 to use (default: the detected published variant's).")
    var zooID: String?

    @Option(help: "Source of that entry (default: the first whose convention is the checkpoint's).")
    var source: String?

    @Option(help: "Override the shorter-side resize (pixels).")
    var resize: Int?

    @Option(help: "Override the center crop (pixels; the model input size).")
    var crop: Int?

    @Option(help: "Override the interpolation: bilinear or bicubic.")
    var interpolation: Resampler.Filter?

    @Option(name: .customLong("batch-size"), help: "Images per forward pass.")
    var batchSize: Int = 16

    @Option(name: .customLong("min-top1"), help: "Fail (exit 1) if top-1 accuracy (percent) is below this.")
    var minTop1: Double?

    @Flag(help: "No progress bar.")
    var quiet = false

    @Option(help: ArgumentHelp("Read the zoo manifests from this directory instead of the bundled Zoo/.", valueName: "dir"))
    var manifestDir: String?

    var requested: Bool { images != nil || labels != nil }
}

extension Resampler.Filter: ExpressibleByArgument {}

extension VerifyCommand {
    func verifyImages(checkpoint path: String, started: ContinuousClock.Instant) throws {
        let o = imageOptions
        guard o.batchSize >= 1 else { throw CNZooError(.usage, "--batch-size must be at least 1") }
        let loaded = try ModelLoader.load(path, options: loadOptions, forward: numericsOptions.forward, variant: variant,
                                          adjust: numericsOptions.resolve)
        let model = loaded.model
        let numerics = model.numerics
        let spec = loaded.spec

        let plan = try ImageVerificationPlan.make(
            spec: spec, convention: loaded.convention, numClasses: model.numClasses, registry: registry,
            overrides: .init(zooID: o.zooID, source: o.source, resize: o.resize, crop: o.crop,
                             interpolation: o.interpolation), file: path)
        let (entry, zooSource, pre, assumed) = (plan.entry, plan.source, plan.preprocessing, plan.assumed)

        let dataset: ImageDataset
        if let labels = o.labels {
            dataset = try ImageDataset.listFile(labels, root: o.images)
        } else {
            dataset = try ImageDataset.folders(o.images ?? ".")
        }
        let bar = ProgressBar(total: dataset.items.count, label: "verify", quiet: o.quiet || json, unit: "images")
        let result = try ImageAccuracy.run(model: model, dataset: dataset, preprocessing: pre, batchSize: o.batchSize,
                                           progress: { done, _ in bar.update(done) })
        bar.finish()
        let d = ContinuousClock.now - started
        let report = ImageVerifyReport(
            checkpoint: "\(path) (\(loaded.loaded.formatName), \(loaded.convention) names)",
            architecture: spec.summary,
            convention: loaded.convention, numerics: "\(numerics)", zooId: entry?.id, publishedSource: zooSource?.id,
            publishedTop1: zooSource?.accuracy?.top1, publishedTop5: zooSource?.accuracy?.top5, preprocessing: pre,
            preprocessingAssumed: assumed, dataset: o.labels ?? o.images ?? ".", result: result,
            labelling: dataset.labelling, minTop1: o.minTop1,
            seconds: Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
        if json {
            try Output.printJSON(report)
        } else {
            printImageTable(report)
        }
        if !report.passed { throw ExitCode(ExitStatus.checkFailed) }
    }

    private func registry() throws -> ZooRegistry {
        try ZooRegistry.load(directory: try ZooRegistry.locateDirectory(override: imageOptions.manifestDir))
    }

    func printImageTable(_ r: ImageVerifyReport) {
        print("cnzoo verify --images: \(r.architecture)")
        print("weights: \(r.checkpoint); numerics: \(r.numerics)")
        print("images: \(r.dataset) (\(r.labelling))")
        print("preprocessing: \(r.preprocessingSummary)"
              + (r.zooId.map { " — from zoo \($0)" + (r.publishedSource.map { "/\($0)" } ?? "") } ?? ""))
        for a in r.preprocessingAssumed { print("  assumed: \(a)") }
        print("")
        func pct(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "—" }
        print(Output.table(["images", "top-1 %", "top-5 %", "published top-1 %", "difference", "source"],
                           [[String(r.images), pct(r.top1), pct(r.top5), pct(r.publishedTop1),
                             r.top1Difference.map { String(format: "%+.2f", $0) } ?? "—",
                             r.publishedSource.map { "\(r.zooId ?? "")/\($0)" } ?? "none"]],
                           rightAligned: [0, 1, 2, 3, 4]))
        if !r.unreadable.isEmpty {
            print("")
            print("\(r.unreadable.count) unreadable image(s) skipped (not scored):")
            for u in r.unreadable.prefix(10) { print("  \(u.path): \(u.error)") }
            if r.unreadable.count > 10 { print("  … \(r.unreadable.count - 10) more (see --json)") }
        }
        if r.images < 1000 && r.publishedTop1 != nil {
            print("note: \(r.images) images; the published figure is over the 50,000 ImageNet-1k validation images")
        }
        print("")
        let rate = String(format: "%.1f", r.imagesPerSecond)
        let threshold = r.minTop1.map { r.passed ? "top-1 ≥ \($0): PASS; " : "top-1 below \($0): FAIL; " } ?? ""
        print("\(threshold)\(r.images) images in \(short(Float(r.seconds))) s (\(rate) images/s; decode+preprocess "
              + "\(short(Float(r.decodeSeconds))) s, forward \(short(Float(r.forwardSeconds))) s)")
    }
}
