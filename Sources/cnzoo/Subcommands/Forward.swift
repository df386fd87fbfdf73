import ArgumentParser
import CNZooConversion
import CNZooCore
import CNZooMapping
import CNZooModels
import CNZooNumPy
import CNZooVerify

/// `cnzoo forward --checkpoint F --input X.npy --output Y.npy`: run the checkpoint's forward model on a batch.
struct Forward: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run cnzoo's forward pass of a checkpoint on an NCHW float32 .npy batch and write the logits as .npy.",
        discussion: """
        The checkpoint may be in any readable format and naming convention (detected from names and shapes, or \
        --from); the numerics follow the convention unless --gelu / --ln-eps say otherwise. Prints the top-5 \
        classes of each row. Any input height and width the model accepts runs (at least 32 for ConvNeXt, the patch \
        size for ConvMixer; strided convs floor as in torch, so torchvision's 225×225 runs). ConvMixer's activation is not in the weights: the zoo entry's for a published shape (relu for convmixer_768_32), else GELU; --activation overrides. \
        A headless file (no classifier: timm num_classes=0 or features_only=True, torchvision model.features) is \
        refused: the forward pass computes logits only, it does not return pooled features.
        """)

    @Option(help: "The checkpoint (.safetensors, .pth, .ckpt).")
    var checkpoint: String

    @Option(help: "Input batch: a float32 (or float16/float64) .npy of shape [N, 3, H, W].")
    var input: String

    @Option(help: "Where to write the logits ([N, classes] float32 .npy; - for standard output, the text going to stderr).")
    var output: String?

    @OptionGroup var source: SourceConventionOption

    @Option(help: "Check the checkpoint is this published variant (a zoo id such as convnext_tiny, or tiny … xlarge).")
    var variant: String?

    @OptionGroup var numericsOptions: NumericsOptions

    @Flag(help: "Overwrite the output.")
    var force = false

    @Flag(help: "Print a JSON report.")
    var json = false

    @Flag(help: "Print nothing on success (errors still go to stderr); with --output, only the file is written.")
    var quiet = false

    @Option(help: "Benchmark: run the forward pass this many times (after --warmup runs) and report the median time.")
    var repeats: Int = 1

    @Option(help: "Benchmark: untimed runs before the timed ones.")
    var warmup: Int = 0

    @Flag(help: "Benchmark: run bias/GELU and layer scale/residual as separate passes instead of inside the GEMM.")
    var noFusion = false

    @Flag(help: "Benchmark: also report the time per kernel family (mean per run).")
    var profile = false

    @OptionGroup var reading: ReadingOptions

    /// The `--json` report (schema in docs/json/forward.schema.json).
    struct Report: Encodable {
        let checkpoint: String
        /// The top-level key the weights came from (training checkpoints), and the other keys holding weights.
        @NullWhenAbsent var wrapperKey: String?
        let otherWeightKeys: [String]
        let architecture: String
        let family: Family
        let convention: String
        let numerics: Numerics
        let input: [Int]
        @NullWhenAbsent var output: String?
        let top5: [[Int]]
        let timesMs: [Double]
        let medianMs: Double
        let gflops: Double
        let openblasCore: String
        let gemm: String
        /// The instruction-set level of cnzoo's kernels (`avx512`, `avx2`, `portable`; CNZOO_ISA overrides).
        let isa: String
        let threads: Int
        /// Mean milliseconds per forward call by kernel family (with --profile).
        @NullWhenAbsent var profileMs: [String: Double]?
    }

    func run() throws {
        try reportingErrors(json: json) {
            guard repeats >= 1, warmup >= 0 else { throw CNZooError(.usage, "--repeats must be ≥ 1 and --warmup ≥ 0") }
            let toStdout = output == AtomicFileWriter.standardOutput
            if toStdout && json {
                throw CNZooError(.usage, "--json and --output - would both write to standard output; name an output file")
            }
            Gemm.setThreads(numericsOptions.threads)
            let loaded = try ModelLoader.load(checkpoint, options: LoadOptions(read: reading.readOptions, from: source.source),
                                              forward: numericsOptions.forward, variant: variant,
                                              adjust: numericsOptions.resolve)
            let model = loaded.model
            let numerics = model.numerics
            let arr = try NumPyFormat.read(path: input)
            guard arr.shape.count == 4, arr.shape[1] == model.inputChannels else {
                throw CNZooError(.usage, "expected an NCHW batch [N, \(model.inputChannels), H, W], found \(arr.shape)", file: input)
            }
            let x = try arr.floats()
            if let bad = x.firstIndex(where: { !$0.isFinite }) {
                throw CNZooError(.malformed, "input element \(bad) is \(x[bad]); the forward pass needs finite values",
                                 file: input)
            }
            let (n, h, w) = (arr.shape[0], arr.shape[2], arr.shape[3])
            /// The model's refusals (a too small input) name the input file.
            func runModel() throws -> [Float] {
                do { return try model.forward(x, batch: n, height: h, width: w) } catch let e as CNZooError {
                    throw e.inFile(input)
                }
            }
            for _ in 0..<warmup { _ = try runModel() }
            (model as? ConvNeXtModel)?.fuseEpilogues = !noFusion
            let prof = profile ? ForwardProfile() : nil
            model.profile = prof
            var times: [Double] = []
            var logits: [Float] = []
            let clock = ContinuousClock()
            for _ in 0..<repeats {
                let t0 = clock.now
                logits = try runModel()
                let d = clock.now - t0
                times.append(Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15)
            }
            if let output {
                try NumPyFormat.write(NumPyArray(shape: [n, model.numClasses], float32: logits), to: output,
                                      overwrite: force)
            }
            let k = model.numClasses
            let top5 = (0..<n).map { LogitComparison.topK(logits[(($0) * k)..<(($0 + 1) * k)], 5) }
            let median = times.sorted()[times.count / 2]
            let flops = 2.0 * Double(model.macs(height: h, width: w)) * Double(n)
            let source = loaded.loaded.source
            let report = Report(checkpoint: checkpoint, wrapperKey: WrapperKeys.used(source),
                                otherWeightKeys: WrapperKeys.others(source), architecture: loaded.spec.summary, family: loaded.spec.family,
                                convention: loaded.convention, numerics: numerics, input: arr.shape, output: output, top5: top5, timesMs: times,
                                medianMs: median, gflops: flops / (median * 1e6), openblasCore: Gemm.coreName, gemm: model.gemmEngine.rawValue,
                                isa: Kernels.active.isa.rawValue,
                                threads: numericsOptions.threads,
                                profileMs: prof.map { $0.seconds.mapValues { $0 * 1e3 / Double(repeats) } })
            if json {
                try Output.printJSON(report)
                return
            }
            guard !quiet else { return }
            let print: (String) -> Void = toStdout ? { printError($0) } : { Swift.print($0) }
            if let line = Output.weightsLine(key: report.wrapperKey, others: report.otherWeightKeys) { print(line) }
            print("\(report.architecture); \(loaded.convention) names; \(numerics)")
            for (i, row) in top5.enumerated() {
                let cells = row.map { "\($0) (\(logits[i * k + $0]))" }
                print("row \(i): top-5 " + cells.joined(separator: ", "))
            }
            if repeats > 1 || warmup > 0 {
                print("forward: median \(Output.milliseconds(median)) over \(repeats) runs (\(warmup) warm-up), "
                      + "\(Int(report.gflops)) GFLOP/s, GEMM \(model.gemmEngine.rawValue) (kernels \(Kernels.active.isa.rawValue)), OpenBLAS \(Gemm.coreName), \(numericsOptions.threads) threads")
            }
            if let p = report.profileMs {
                print("per forward: " + p.keys.sorted().map { "\($0) \(Output.milliseconds(p[$0]!))" }.joined(separator: ", "))
            }
            if let output { print("wrote \(output)") }
        }
    }
}
