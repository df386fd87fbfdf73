import CNZooCore
import CNZooMapping

/// A ConvMixer (Trockman & Kolter) ready to run on cnzoo's C kernels (`Kernels.active`), activations
/// channel-blocked (`MatrixLayout.channelBlocked`: NCHW16c, channels padded to a multiple of 16 with zeros).
///
/// Stem: p×p patches (stride p) gathered into rows, one GEMM whose epilogue applies bias → activation → BatchNorm.
/// Block: the depthwise k×k conv ("same" zero padding) with the epilogue `y = x + BN(act(dw + bias))`, one
/// 16-channel plane at a time (contiguous: in NHWC a 768-channel layer puts neighbouring pixels 3 KiB apart); the
/// 1×1 conv as one GEMM (K = N = dim) reading and writing the blocked layout, with bias → activation → BatchNorm.
/// Head: global mean, Linear.
///
/// Inference BatchNorm uses the running statistics. With `foldsBatchNorm` (the default) each BatchNorm becomes a
/// per-channel `x·scale + shift` (scale = γ/√(var+eps), shift = β − mean·scale, computed in double and rounded once,
/// as torch's CPU kernel also folds them) inside the kernels' epilogues, and the last block's BatchNorm moves through
/// the global mean into the head's Linear (exact algebra: the mean of an affine map is the affine map of the mean).
/// Unfolded (a reference for measuring what folding costs), every BatchNorm is evaluated literally,
/// `(x − mean)/√(var+eps)·γ + β`, on every pixel in a scalar pass; docs/verify.md gives the measured difference.
///
/// A model keeps scratch buffers between calls; do not call `forward` on one instance from two threads at once.
public final class ConvMixerModel {
    public let config: ConvMixerSpec
    /// The numerics: `activation` (explicit) or the spec's activation in `gelu`'s form, and `batchNormEps`
    /// (changing the eps refolds the BatchNorms on the next call).
    public var numerics: Numerics
    /// Whether BatchNorm runs folded (see the type's documentation).
    public let foldsBatchNorm: Bool
    /// Threads the kernels split their work over.
    public var kernelThreads: Int
    /// The C kernels (chosen for this CPU at start-up).
    public var kernels: Kernels = .active
    /// The engine running the matrix products.
    public let gemm: GemmEngine
    /// When set, each forward call adds the time spent per kernel family (`gemm`, `dwconv`, `other`) to it.
    public var profile: ForwardProfile?

    struct Block {
        var dwWeight: [Float]  // [C/16][k][k][16], channels padded to whole blocks with zeros
        var dwBias: [Float]  // padded
        var pwWeight: LinearWeight  // [C][C]
        var pwBias: [Float]
    }

    /// A BatchNorm ready to apply: folded `[scale | shift]`, or unfolded `[mean | √(var+eps) | γ | β]`, each part
    /// padded to `paddedDim` channels.
    typealias Norm = [Float]

    /// What depends on the BatchNorm eps: the prepared BatchNorms and the head (which absorbs the last one when folded).
    struct Prepared {
        var eps: Float
        var stemNorm: Norm
        var blockNorms: [(norm1: Norm, norm2: Norm?)]
        var headWeight: LinearWeight
        var headBias: [Float]
    }

    /// The channels rounded up to whole blocks of 16 (the activations' and the per-channel vectors' length).
    let paddedDim: Int
    let stemWeight: LinearWeight  // [C][in·p·p], rows ordered (in, kh, kw)
    let stemBias: [Float]
    let blocks: [Block]
    /// The raw BatchNorm tensors (`weight, bias, running_mean, running_var`) by canonical prefix, and the head.
    private let batchNorms: [String: [[Float]]]
    private let head: (weight: [Float], bias: [Float])
    private var prepared: Prepared?
    private let workspace = Workspace()

    /// The activation actually run: an explicit `numerics.activation` literally (`gelu` is the erf form), else the
    /// spec's (`relu`, or GELU in `numerics.gelu`'s form).
    public var activation: Activation {
        if let explicit = numerics.activation { return explicit }
        if config.activation == .relu { return .relu }
        return numerics.gelu == .erf ? .gelu : .geluTanh
    }

    var kernelActivation: KernelActivation {
        switch activation {
        case .relu: return .relu
        case .geluTanh: return .geluTanh
        default: return .geluErf
        }
    }

    /// Builds the model from a checkpoint in canonical names (`ConvMixerSpec.parameters()`). Every canonical tensor
    /// must be present with its exact shape and no other tensor may be present (a stray name means the mapping is
    /// wrong); a checkpoint without `head.weight` (headless) is refused. The activation is not in the weights:
    /// `activation` is the architecture's (`gelu` or `relu`; `numerics` picks the GELU form or overrides it).
    public init(checkpoint: Checkpoint, activation: Activation = .gelu, numerics: Numerics, foldBatchNorm: Bool = true,
                kernelThreads: Int = 2, gemm: GemmEngine = .auto) throws {
        let spec = try ConvMixerSpec(inferringFrom: checkpoint, activation: activation)
        let engine = try gemm.resolved()
        self.gemm = engine
        self.config = spec
        self.numerics = numerics
        self.foldsBatchNorm = foldBatchNorm
        self.kernelThreads = max(1, kernelThreads)
        var byName: [String: TensorEntry] = [:]
        for t in checkpoint.tensors { byName[t.name] = t }
        let expected = spec.parameters()
        let expectedNames = Set(expected.map(\.name))
        if let stray = checkpoint.tensors.first(where: { !expectedNames.contains($0.name) }) {
            throw CNZooError(.mapping, "unexpected tensor for \(spec.summary)", tensor: stray.name)
        }
        for p in expected {
            guard let t = byName[p.name] else {
                throw CNZooError(.mapping, "missing tensor for \(spec.summary)", tensor: p.name)
            }
            guard t.shape == p.shape else { throw CNZooError(.mapping, "shape \(t.shape), expected \(p.shape)", tensor: p.name) }
        }
        func entry(_ name: String) -> TensorEntry { byName[name]! }  // present: checked above
        func v(_ name: String) throws -> [Float] { try WeightWidening.floats(entry(name)) }
        var norms: [String: [[Float]]] = [:]
        for p in expected where p.role == .bnWeight {
            let prefix = String(p.name.dropLast(".weight".count))
            norms[prefix] = try ["weight", "bias", "running_mean", "running_var"].map { try v(prefix + "." + $0) }
        }
        batchNorms = norms
        let c = spec.dim, k = spec.kernelSize, block = MatrixLayout.block
        let cp = (c + block - 1) / block * block
        paddedDim = cp
        stemWeight = try LinearWeight(entry("stem.0.weight"), n: c, k: spec.inChannels * spec.patchSize * spec.patchSize,
                                      engine: engine)
        stemBias = try v("stem.0.bias")
        blocks = try (0..<spec.depth).map { i in
            let pre = "blocks.\(i)."
            let dw = try v(pre + "0.fn.0.weight")  // [C][1][k][k] → [C/16][k][k][16]
            var dwt = [Float](repeating: 0, count: cp * k * k)
            for ch in 0..<c {
                for t in 0..<(k * k) { dwt[(ch / block * k * k + t) * block + ch % block] = dw[ch * k * k + t] }
            }
            return Block(dwWeight: dwt, dwBias: Self.padded(try v(pre + "0.fn.0.bias"), cp),
                         pwWeight: try LinearWeight(entry(pre + "1.weight"), n: c, k: c, engine: engine),
                         pwBias: try v(pre + "1.bias"))
        }
        head = (try v("head.weight"), try v("head.bias"))
        _ = prepare()
    }

    /// `v` followed by zeros up to `count` values.
    static func padded(_ v: [Float], _ count: Int) -> [Float] { v + [Float](repeating: 0, count: count - v.count) }

    /// One BatchNorm as `Norm` for `eps`, each part padded to `count` channels; folded in double, rounded once.
    static func batchNorm(_ t: [[Float]], eps: Float, fold: Bool, padTo count: Int) -> Norm {
        let (weight, bias, mean, variance) = (t[0], t[1], t[2], t[3])
        guard fold else {
            let sd = zip(variance, [Float](repeating: eps, count: variance.count)).map { ($0 + $1).squareRoot() }
            return [mean, sd, weight, bias].flatMap { padded($0, count) }
        }
        let scale = (0..<weight.count).map { Double(weight[$0]) / (Double(variance[$0]) + Double(eps)).squareRoot() }
        return padded(scale.map(Float.init), count)
            + padded((0..<weight.count).map { Float(Double(bias[$0]) - Double(mean[$0]) * scale[$0]) }, count)
    }

    /// The BatchNorms and head for the current eps (rebuilt only when it changed).
    private func prepare() -> Prepared {
        let eps = numerics.batchNormEps
        if let prepared, prepared.eps == eps { return prepared }
        let c = config.dim, cp = paddedDim, fold = foldsBatchNorm
        func norm(_ prefix: String) -> Norm { Self.batchNorm(batchNorms[prefix] ?? [], eps: eps, fold: fold, padTo: cp) }
        var fc = head.weight, fcBias = head.bias
        if fold {
            // head(scale ⊙ p + shift) = (W·diag(scale))·p + (b + W·shift).
            let last = norm("blocks.\(config.depth - 1).3")
            for o in 0..<config.numClasses {
                var b = Double(fcBias[o])
                for j in 0..<c {
                    b += Double(fc[o * c + j]) * Double(last[cp + j])
                    fc[o * c + j] = Float(Double(fc[o * c + j]) * Double(last[j]))
                }
                fcBias[o] = Float(b)
            }
        }
        let p = Prepared(eps: eps, stemNorm: norm("stem.2"),
                         blockNorms: (0..<config.depth).map { i in
                             (norm("blocks.\(i).0.fn.2"), fold && i == config.depth - 1 ? nil : norm("blocks.\(i).3"))
                         },
                         headWeight: LinearWeight(fc, n: config.numClasses, k: c, engine: gemm), headBias: fcBias)
        prepared = p
        return p
    }

    /// Runs the model on an NCHW float32 batch (`batch × inChannels × height × width`, C order; height and width at
    /// least the patch size, the stem flooring as torch's stride-p conv does) and returns the logits,
    /// `batch × numClasses`, row-major.
    public func forward(_ input: [Float], batch n: Int, height: Int, width: Int) throws -> [Float] {
        let cfg = config
        let p = cfg.patchSize
        guard n >= 1 else { throw CNZooError(.usage, "batch must be at least 1") }
        guard height >= p, width >= p else {
            throw CNZooError(.usage, "input height and width must be at least the patch size \(p), got \(height)×\(width)")
        }
        guard input.count == n * cfg.inChannels * height * width else {
            throw CNZooError(.usage, "input holds \(input.count) values, expected \(n)×\(cfg.inChannels)×\(height)×\(width)")
        }
        let ws = workspace, kern = kernels, threads = kernelThreads
        let prep = prepare()
        let h = height / p, w = width / p, c = cfg.dim, cp = paddedDim, block = MatrixLayout.block
        let m = n * h * w, hw = h * w
        let layout = MatrixLayout.channelBlocked(rows: m)
        let cols = ws.buffer(0, m * cfg.inChannels * p * p)
        input.withUnsafeBufferPointer {
            KernelLayout.patchesNCHW($0.baseAddress!, cols, batch: n, channels: cfg.inChannels, height: height,
                                     width: width, patch: p)
        }
        let floats = cp / block * layout.blockStride
        let x = ws.buffer(1, floats), t = ws.buffer(2, floats)
        if cp != c {  // the GEMMs never write the padding channels; keep them exact zeros
            x.initialize(repeating: 0, count: floats)
            t.initialize(repeating: 0, count: floats)
        }
        timed("gemm") {
            withEpilogue(bias: stemBias, norm: prep.stemNorm) {
                stemWeight.apply(cols, x, m: m, threads: threads, kernels: kern, epilogue: $0, cLayout: layout)
            }
        }
        literalNorm(x, rows: m, norm: prep.stemNorm, residual: nil)
        let blocksC = cp / block, taps = cfg.kernelSize * cfg.kernelSize
        for (blk, norms) in zip(blocks, prep.blockNorms) {
            timed("dwconv") {
                withEpilogue(bias: blk.dwBias, norm: norms.norm1, residual: x) { e in
                    blk.dwWeight.withUnsafeBufferPointer { dw in
                        // One task per (image, 16 channels): a contiguous [h][w][16] plane.
                        Parallel.forEach(n * blocksC, threads: threads) { i in
                            let (b, cb) = (i / blocksC, i % blocksC)
                            let off = cb * layout.blockStride + b * hw * block
                            kern.depthwise(input: x + off, output: t + off, height: h, width: w, channels: block,
                                           kernel: cfg.kernelSize, weight: dw.baseAddress! + cb * taps * block,
                                           rows: 0..<h, epilogue: e.columns(from: cb * block).offset(by: off))
                        }
                    }
                }
            }
            literalNorm(t, rows: m, norm: norms.norm1, residual: x)
            timed("gemm") {
                withEpilogue(bias: blk.pwBias, norm: norms.norm2) {
                    blk.pwWeight.apply(t, x, m: m, threads: threads, kernels: kern, epilogue: $0, aLayout: layout,
                                       cLayout: layout)
                }
            }
            literalNorm(x, rows: m, norm: norms.norm2, residual: nil)
        }
        let pooled = ws.buffer(3, n * cp)
        timed("other") {
            for b in 0..<n {
                for cb in 0..<blocksC {
                    kern.averagePool(x + cb * layout.blockStride + b * hw * block, pooled + b * cp + cb * block, batch: 1,
                                     positions: hw, channels: block)
                }
            }
        }
        var logits = [Float](repeating: 0, count: n * cfg.numClasses)
        logits.withUnsafeMutableBufferPointer { out in
            prep.headBias.withUnsafeBufferPointer { hb in
                prep.headWeight.apply(pooled, out.baseAddress!, m: n, threads: threads, kernels: kern,
                                      epilogue: .init(bias: hb.baseAddress!), aLayout: .rowMajor(columns: cp))
            }
        }
        return logits
    }

    /// Calls `body` with the epilogue bias → activation → (folded) BatchNorm → residual; an unfolded BatchNorm is
    /// left to `literalNorm`, and with it the residual.
    private func withEpilogue(bias: [Float], norm: Norm?, residual: UnsafeMutablePointer<Float>? = nil,
                              _ body: (KernelEpilogue) -> Void) {
        let act = kernelActivation, cp = paddedDim, fold = foldsBatchNorm
        bias.withUnsafeBufferPointer { bp in
            (norm ?? []).withUnsafeBufferPointer { np in
                let folded = fold && norm != nil
                body(KernelEpilogue(bias: bp.baseAddress, activation: act,
                                    postScale: folded ? np.baseAddress : nil, postShift: folded ? np.baseAddress! + cp : nil,
                                    residual: fold ? residual : nil))
            }
        }
    }

    /// Unfolded mode only: `x = (x − mean)/√(var+eps)·γ + β (+ residual)`, literally, per element of the
    /// channel-blocked `[rows, dim]` activations.
    private func literalNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, norm: Norm?, residual: UnsafePointer<Float>?) {
        guard !foldsBatchNorm, let norm else { return }
        let layout = MatrixLayout.channelBlocked(rows: rows), cp = paddedDim
        for r in 0..<rows {
            for j in 0..<config.dim {
                let i = layout.offset(row: r, column: j)
                x[i] = (x[i] - norm[j]) / norm[cp + j] * norm[2 * cp + j] + norm[3 * cp + j] + (residual?[i] ?? 0)
            }
        }
    }
}

extension ConvMixerModel {
    @inline(__always) private func timed(_ key: String, _ body: () -> Void) {
        guard let profile else { return body() }
        let t0 = ContinuousClock.now
        body()
        profile.add(key, ContinuousClock.now - t0)
    }
}

/// ConvMixer's entry in `ForwardModels`: the activation comes from the spec (the zoo entry's for a published shape,
/// else GELU), the GELU form and any override from the numerics.
public struct ConvMixerForward: ForwardModelFactory {
    public init() {}
    public var family: Family { .convmixer }

    public func make(weights: Checkpoint, spec: any ArchitectureSpec, numerics: Numerics,
                     options: ForwardOptions) throws -> any ForwardModel {
        if let c = spec as? ConvMixerSpec, c.numClasses == 0 { throw ForwardModels.headlessRefusal(c) }
        return try ConvMixerModel(checkpoint: weights, activation: (spec as? ConvMixerSpec)?.activation ?? .gelu,
                           numerics: numerics, kernelThreads: options.threads, gemm: options.gemm)
    }
}

extension ConvMixerModel: ForwardModel {
    public var architecture: any ArchitectureSpec { config }
    public var numClasses: Int { config.numClasses }
    public var inputChannels: Int { config.inChannels }
    public var minimumInputSize: Int { config.patchSize }
    public var gemmEngine: GemmEngine { gemm }
    public func macs(height: Int, width: Int) -> Int {
        let hw = (height / config.patchSize) * (width / config.patchSize), c = config.dim, k = config.kernelSize
        return hw * c * config.inChannels * config.patchSize * config.patchSize
            + config.depth * hw * c * (k * k + c) + c * config.numClasses
    }
}

extension ConvMixerSpec {
    /// Infers the spec from canonical tensor names and shapes; the activation is not in the weights, so it is the
    /// one given.
    public init(inferringFrom checkpoint: Checkpoint, activation: CNZooCore.Activation = .gelu) throws {
        var byName: [String: TensorEntry] = [:]
        for t in checkpoint.tensors { byName[t.name] = t }
        guard let stem = byName["stem.0.weight"] else {
            throw CNZooError(.mapping, "no 'stem.0.weight': not a canonical ConvMixer checkpoint")
        }
        guard stem.shape.count == 4, stem.shape[2] == stem.shape[3], stem.shape.allSatisfy({ $0 > 0 }) else {
            throw CNZooError(.mapping, "expected a patch conv [dim, in, p, p], found \(stem.shape)", tensor: stem.name)
        }
        var depth = 0
        while byName["blocks.\(depth).0.fn.0.weight"] != nil { depth += 1 }
        guard let dw = byName["blocks.0.0.fn.0.weight"] else {
            throw CNZooError(.mapping, "no 'blocks.0.0.fn.0.weight': a ConvMixer without blocks")
        }
        guard dw.shape.count == 4, dw.shape[0] == stem.shape[0], dw.shape[1] == 1, dw.shape[2] == dw.shape[3],
              dw.shape[2] % 2 == 1 else {
            throw CNZooError(.mapping, "expected a depthwise weight [\(stem.shape[0]), 1, k, k] with odd k, found \(dw.shape)",
                             tensor: dw.name)
        }
        guard let head = byName["head.weight"] else {
            throw CNZooError(.unsupported, "headless ConvMixer (no 'head.weight'): the forward pass needs a classifier")
        }
        guard head.shape.count == 2, head.shape[0] >= 1, head.shape[1] == stem.shape[0] else {
            throw CNZooError(.mapping, "expected a classifier [classes, \(stem.shape[0])], found \(head.shape)",
                             tensor: head.name)
        }
        self.init(dim: stem.shape[0], depth: depth, kernelSize: dw.shape[2], patchSize: stem.shape[2],
                  activation: activation, numClasses: head.shape[0], inChannels: stem.shape[1])
    }
}
