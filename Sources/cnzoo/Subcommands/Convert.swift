import ArgumentParser
import CNZooConversion
import CNZooCore
import CNZooHuggingFace
import CNZooMapping
import CNZooZoo

/// `cnzoo convert IN --to ms|torch|safetensors|onnx`: the library's conversion pipeline (`Converter`) with a progress bar
/// and a text or JSON report.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a checkpoint between formats and naming conventions (strict, streaming, bit-exact).",
        discussion: """
        Defaults: --to ms writes MindSpore Vision names (MindCV for ConvMixer), --to torch torchvision names (timm \
        for ConvMixer), --to keras a Keras 3 .weights.h5 for keras.applications ConvNeXt, --to safetensors keeps the source's names (--convention canonical for cnzoo's) plus metadata \
        (architecture, variant, source convention; source sha256 with --source-hash). Every source tensor must map \
        to exactly one target tensor, or nothing is written and the report lists missing, unexpected and mismatched \
        names (exit 2). A checkpoint of an architecture cnzoo does not know (or --convention keep) is converted \
        format-only: every tensor under its own name, bit-exact, in the source order; between torch and MindSpore \
        MindSpore's generic cell naming rules are applied and listed (BatchNorm, LayerNorm/GroupNorm, Embedding, \
        PReLU, Conv1d); a module that fits two rules is refused until --layer MODULE=KIND names it. Optimizer state and bookkeeping are \
        dropped with a note. Conversion is bit-exact unless --dtype asks for a change (round-to-nearest-even, \
        floating tensors only). --to onnx writes a runnable ONNX model: the graph from the detected architecture \
        with the source framework's numerics (GELU form, LayerNorm eps), the weights as float32 initializers under \
        the source's names (or --convention's), input [N,3,H,W] float32, output logits. --convention transformers \
        with --to safetensors or --to torch writes a Hugging Face model folder (-o DIR: model.safetensors or \
        pytorch_model.bin, config.json; shards plus an index with --max-shard-size), built beside DIR and renamed \
        into place; an existing DIR needs --force.
        """)

    /// `--dtype` values.
    enum TargetDType: String, ExpressibleByArgument, CaseIterable {
        case f32, f16, bf16
        var dtype: DType { DType(rawValue: rawValue.uppercased()) }
    }

    @Argument(help: "The checkpoint to convert (.pth, .ckpt, .safetensors; format detected by content).")
    var input: String

    @Option(help: ArgumentHelp("Target format (\(ConversionTarget.aliasHelp)).", valueName: "format"))
    var to: ConversionTarget

    @Option(help: ArgumentHelp("Target naming convention, or keep (every name as it is; default depends on --to; "
                               + "\(Convention.aliasHelp)).", valueName: "convention"))
    var convention: TargetNaming?

    @Option(name: .customLong("layer"), help: ArgumentHelp(
        "Format-only torch ⇄ MindSpore: the kind of a module whose tensors fit two rules (repeatable; KIND: "
        + GenericLayerKind.allCases.map(\.rawValue).joined(separator: ", ") + ").", valueName: "module=kind"))
    var layers: [String] = []

    @Option(help: ArgumentHelp("Put this prefix in front of every written tensor name.", valueName: "prefix"))
    var addPrefix: String?

    @Option(help: ArgumentHelp("--to torch: nest the state dict under this top-level key ({KEY: state_dict}, as "
                               + "training scripts save it); other formats cannot nest and refuse it.", valueName: "key"))
    var wrapKey: String?

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp(
        "Output path (default: next to the input, with the target's extension); - for standard output (the summary "
        + "goes to stderr), a device or FIFO such as /dev/null is written in place; not keras (libhdf5 seeks).",
        valueName: "output"))
    var output: String?

    @Option(help: ArgumentHelp("transformers model folders: shards of at most this size plus an index (5GB, 500MB, "
                               + "40KiB, or bytes).", valueName: "size"))
    var maxShardSize: String?

    @Option(help: "Convert floating tensors to this dtype (round-to-nearest-even).")
    var dtype: TargetDType?

    @Flag(help: "Overwrite the output if it exists.")
    var force = false

    @Flag(help: "No progress bar and no summary.")
    var quiet = false

    @Flag(help: "Print a JSON report (a stable contract for other tools; schema in docs/json/convert.schema.json).")
    var json = false

    @Flag(help: "MindSpore: append the crc_num trailer.")
    var crc = false

    @Flag(help: "safetensors: record the input's SHA-256 in the metadata (one extra full read of the input).")
    var sourceHash = false

    @OptionGroup var mapping: MappingOptionGroup
    @OptionGroup var reading: ReadingOptions
    @OptionGroup var onnx: ONNXOptionGroup

    func run() throws {
        try reportingErrors(json: json) {
            let toStdout = output == AtomicFileWriter.standardOutput
            if toStdout && json {
                throw CNZooError(.usage, "--json and -o - would both write to standard output; name an output file")
            }
            var bar: ProgressBar?
            var chosen: Convention?
            if case let .convention(c)? = convention { chosen = c }
            var request = ConversionRequest(
                input: input, target: to, convention: chosen, output: output, dtype: dtype?.dtype,
                overwrite: force, crc: crc, sourceHash: sourceHash, load: mapping.loadOptions(reading),
                progress: { done, total in
                    if bar == nil { bar = ProgressBar(total: total, label: "convert", quiet: quiet || json) }
                    bar?.update(done)
                }, onnx: try onnx.options())
            request.keepNames = convention == .keep
            request.layerKinds = try GenericLayerKind.assignments(layers)
            request.addPrefix = addPrefix
            request.wrapKey = wrapKey
            request.maxShardSize = try maxShardSize.map(HuggingFaceFolderOutput.parseSize)
            if chosen == TransformersConvention().id {  // id2label of a 1000-class head: the zoo's ImageNet-1k names
                request.classNames = try? ZooLabels.load(ZooLabels.imageNet1k,
                                                         directory: ZooRegistry.locateDirectory(override: nil))
            }
            let report = try Converter.convert(request)
            bar?.finish()
            if !json { for w in report.warnings { printError("cnzoo: warning: \(w)") } }
            if json {
                try Output.printJSON(report)
            } else if !quiet {
                // With -o - the checkpoint is on stdout: the summary goes to stderr.
                let print: (String) -> Void = toStdout ? { printError($0) } : { Swift.print($0) }
                if let line = Output.weightsLine(key: report.from.wrapperKey, others: report.from.otherWeightKeys) {
                    print(line)
                }
                print("\(input) (\(report.from.format), \(report.from.convention) naming, "
                      + "\(report.from.variant ?? report.from.spec)) → "
                      + "\(report.output) (\(report.to.format), \(report.to.convention) naming"
                      + (report.to.wrapKey.map { ", under top-level key '\($0)'" } ?? "") + ")")
                let rate = Output.rate(report.bytes, seconds: report.seconds).map { " (\($0))" } ?? ""
                print("\(report.tensors.written) tensors, \(Output.bytes(report.bytes)) in "
                      + String(format: "%.2f", report.seconds) + " s" + rate)
                for r in report.rules {
                    print("rule: \(r.rule) ×\(r.count) (\(r.examples.joined(separator: ", "))\(r.count > r.examples.count ? ", …" : ""))")
                }
                for n in report.notes { print("note: \(n)") }
            }
        }
    }
}
