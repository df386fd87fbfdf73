import ArgumentParser
import CNZooCore
import CNZooFormats
import CNZooMapping
import CNZooModels
import CNZooNumPy
import CNZooVerify

/// `cnzoo forward --checkpoint F --input X.npy --output Y.npy`: run cnzoo's own ConvNeXt on a batch.
struct Forward: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the ConvNeXt forward pass on an NCHW float32 .npy batch and write the logits as .npy.",
        discussion: """
        The checkpoint may be in any readable format and naming convention (detected from names and shapes, or \
        --convention); the numerics follow the convention unless --gelu / --ln-eps say otherwise. Prints the top-5 \
        classes of each row. Input height and width must be multiples of 32.
        """)

    @Option(help: "The checkpoint (.safetensors, .pth, .ckpt).")
    var checkpoint: String

    @Option(help: "Input batch: a float32 (or float16/float64) .npy of shape [N, 3, H, W].")
    var input: String

    @Option(help: "Where to write the logits ([N, classes] float32 .npy).")
    var output: String?

    @Option(help: "Naming convention of the checkpoint (torchvision, timm, official, mindcv, mindspore-vision); also picks the numerics.")
    var convention: String?

    @Option(help: "Check the checkpoint is this ConvNeXt size (tiny, small, base, large, xlarge).")
    var variant: String?

    @OptionGroup var numericsOptions: NumericsOptions

    @Flag(help: "Overwrite the output.")
    var force = false

    @Flag(help: "Print a JSON report.")
    var json = false

    @Option(help: "Benchmark: run the forward pass this many times (after --warmup runs) and report the median time.")
    var repeats: Int = 1

    @Option(help: "Benchmark: untimed runs before the timed ones.")
    var warmup: Int = 0

    @Flag(help: "Benchmark: also report the time per kernel family (median run's share).")
    var profile = false

    @OptionGroup var reading: ReadingOptions

    struct Report: Encodable {
        let checkpoint: String
        let architecture: String
        let convention: String
        let numerics: Numerics
        let input: [Int]
        let output: String?
        let top5: [[Int]]
        let timesMs: [Double]
        let medianMs: Double
        let gflops: Double
        let openblasCore: String
        let gemm: String
        let threads: Int
        /// Mean milliseconds per forward call by kernel family (with --profile).
        let profileMs: [String: Double]?
    }

    func run() throws {
        try reportingErrors {
            guard repeats >= 1, warmup >= 0 else { throw CNZooError(.usage, "--repeats must be ≥ 1 and --warmup ≥ 0") }
            Gemm.setThreads(numericsOptions.threads)
            let loaded = try ForwardLoading.load(checkpoint, reading: reading, convention: convention)
            let numerics = numericsOptions.resolve(loaded.numerics)
            let model = try ConvNeXtModel(checkpoint: loaded.canonical, numerics: numerics, kernelThreads: numericsOptions.threads,
                                         gemm: numericsOptions.gemm)
            if let variant {
                guard let spec = ConvNeXtSpec.variant(variant) else {
                    throw CNZooError(.usage, "unknown variant '\(variant)' (tiny, small, base, large, xlarge)")
                }
                guard spec.depths == model.config.depths, spec.dims == model.config.dims else {
                    throw CNZooError(.mapping, "checkpoint has depths \(model.config.depths) dims \(model.config.dims), "
                                     + "not convnext_\(variant) (\(spec.depths), \(spec.dims))", file: checkpoint)
                }
            }
            let arr = try NumPyFormat.read(path: input)
            guard arr.shape.count == 4, arr.shape[1] == model.config.inChannels else {
                throw CNZooError(.usage, "expected an NCHW batch [N, \(model.config.inChannels), H, W], found \(arr.shape)", file: input)
            }
            let x = try arr.floats()
            let (n, h, w) = (arr.shape[0], arr.shape[2], arr.shape[3])
            for _ in 0..<warmup { _ = try model.forward(x, batch: n, height: h, width: w) }
            let prof = profile ? ForwardProfile() : nil
            model.profile = prof
            var times: [Double] = []
            var logits: [Float] = []
            let clock = ContinuousClock()
            for _ in 0..<repeats {
                let t0 = clock.now
                logits = try model.forward(x, batch: n, height: h, width: w)
                let d = clock.now - t0
                times.append(Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15)
            }
            if let output {
                try NumPyFormat.write(NumPyArray(shape: [n, model.config.numClasses], float32: logits), to: output,
                                      overwrite: force)
            }
            let k = model.config.numClasses
            let top5 = (0..<n).map { LogitComparison.topK(logits[(($0) * k)..<(($0 + 1) * k)], 5) }
            let median = times.sorted()[times.count / 2]
            let flops = 2.0 * Double(model.config.macs(height: h, width: w)) * Double(n)
            let report = Report(checkpoint: checkpoint,
                                architecture: "ConvNeXt depths \(model.config.depths) dims \(model.config.dims), \(k) classes",
                                convention: loaded.convention, numerics: numerics, input: arr.shape, output: output, top5: top5, timesMs: times,
                                medianMs: median, gflops: flops / (median * 1e6), openblasCore: Gemm.coreName, gemm: model.gemm.rawValue,
                                threads: numericsOptions.threads,
                                profileMs: prof.map { $0.seconds.mapValues { $0 * 1e3 / Double(repeats) } })
            if json {
                try Output.printJSON(report)
                return
            }
            print("\(report.architecture); \(loaded.convention) names; \(numerics)")
            for (i, row) in top5.enumerated() {
                let cells = row.map { "\($0) (\(logits[i * k + $0]))" }
                print("row \(i): top-5 " + cells.joined(separator: ", "))
            }
            if repeats > 1 || warmup > 0 {
                print("forward: median \(median) ms over \(repeats) runs (\(warmup) warm-up), "
                      + "\(Int(report.gflops)) GFLOP/s, GEMM \(model.gemm.rawValue), OpenBLAS \(Gemm.coreName), \(numericsOptions.threads) threads")
            }
            if let p = report.profileMs {
                print("per forward (ms): " + p.keys.sorted().map { "\($0) \(Double(Int(p[$0]! * 100)) / 100)" }.joined(separator: ", "))
            }
            if let output { print("wrote \(output)") }
        }
    }
}
