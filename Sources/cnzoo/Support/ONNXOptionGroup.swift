import ArgumentParser
import CNZooCore
import CNZooONNX

/// `cnzoo convert --to onnx` options.
struct ONNXOptionGroup: ParsableArguments {
    @Option(help: "ONNX: the opset (17–23; GELU is the Gelu op from 20, Erf/Tanh arithmetic below).")
    var opset: Int = ONNXExportOptions.defaultOpset

    @Option(help: ArgumentHelp("ONNX: a fixed batch size, or a symbolic batch axis.", valueName: "N|dynamic"))
    var batch: String = "dynamic"

    @Option(help: ArgumentHelp("ONNX: weights in the model file unless it would pass 2 GiB (auto), always in "
                               + "<output>.data (external), or never (inline: fail when too large).",
                               valueName: "auto|external|inline"))
    var externalData: String = "auto"

    @Option(help: ArgumentHelp("ONNX, ConvMixer: the activation of a custom configuration (not readable from weights).",
                               valueName: Activation.spellings.joined(separator: "|")))
    var activation: Activation?

    /// The export options these flags ask for.
    func options() throws -> ONNXExportOptions {
        var o = ONNXExportOptions(opset: opset, activation: activation)
        if batch != "dynamic" {
            guard let n = Int(batch), n >= 1 else { throw CNZooError(.usage, "--batch takes a positive number or 'dynamic'") }
            o.batch = n
        }
        switch externalData {
        case "auto": o.externalData = .automatic
        case "external": o.externalData = .always
        case "inline": o.externalData = .never
        default: throw CNZooError(.usage, "--external-data takes auto, external or inline")
        }
        return o
    }
}
