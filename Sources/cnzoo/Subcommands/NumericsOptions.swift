import CNZooCore
import ArgumentParser
import CNZooModels

/// `--gelu` / `--ln-eps` / `--head-ln-eps` / `--activation` / `--bn-eps`: explicit forward-pass numerics, overriding a convention's defaults.
struct NumericsOptions: ParsableArguments {
    @Option(help: "GELU form: erf (PyTorch) or tanh (MindSpore nn.GELU default). Default: the convention's.")
    var gelu: Numerics.GELU?

    @Option(name: .customLong("ln-eps"), help: "LayerNorm eps of the stem, blocks and downsampling (default 1e-6).")
    var lnEps: Float?

    @Option(name: .customLong("head-ln-eps"), help: "LayerNorm eps of the head norm (default: --ln-eps, or 1e-7 for MindSpore Vision).")
    var headLnEps: Float?

    @Option(help: "ConvMixer activation: gelu (exact erf), gelu-tanh, relu. Default: the zoo entry's (relu for convmixer_768_32), else GELU in the convention's form.")
    var activation: CNZooCore.Activation?

    @Option(name: .customLong("bn-eps"), help: "BatchNorm eps (ConvMixer; default 1e-5).")
    var bnEps: Float?

    @Option(help: "Threads for the kernels: this one and N − 1 pool workers, which spin 500 µs between loops before they sleep ($CNZOO_SPIN_US).")
    var threads: Int = 2

    @Option(help: "Matrix-product engine: auto (cnzoo's kernels), cnzoo, openblas (loaded on demand).")
    var gemm: GemmEngine = .auto

    /// Refuses values the forward pass cannot use (exit 2, before any file is read).
    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1 (got \(threads))") }
        for (flag, eps) in [("--ln-eps", lnEps), ("--head-ln-eps", headLnEps)] {
            if let eps, !(eps.isFinite && eps > 0) {
                throw ValidationError("\(flag) must be a positive finite number (got \(eps))")
            }
        }
    }

    /// Threads and engine for the forward model.
    var forward: ForwardOptions { ForwardOptions(threads: threads, gemm: gemm) }

    /// `base` with the explicit choices applied.
    func resolve(_ base: Numerics) -> Numerics {
        var n = base
        if let gelu { n.gelu = gelu }
        if let lnEps {
            n.layerNormEps = lnEps
            if headLnEps == nil { n.headNormEps = lnEps }
        }
        if let headLnEps { n.headNormEps = headLnEps }
        if let activation { n.activation = activation }
        if let bnEps { n.batchNormEps = bnEps }
        return n
    }
}

extension Numerics.GELU: ExpressibleByArgument {}
extension GemmEngine: ExpressibleByArgument {}
