import CNZooCore
import CNZooMapping

/// A ConvMixer (Trockman & Kolter) ready to run: weights widened to float32 and rearranged for the NHWC kernels.
///
/// Stem: p×p patches (stride p) gathered into rows, one GEMM, then bias → activation → BatchNorm in one pass.
/// Block: depthwise k×k conv ("same" zero padding) on a padded copy, then per output row
/// `y = x + BN(act(dw + bias))` while the row is in cache; 1×1 conv as one GEMM, then bias → activation →
/// BatchNorm. Head: global mean, Linear.
///
/// Inference BatchNorm uses the running statistics. With `foldsBatchNorm` (the default) each BatchNorm becomes a
/// per-channel `x·scale + shift` (scale = γ/√(var+eps), shift = β − mean·scale, computed in double and rounded once,
/// as torch's CPU kernel also folds them), and the last block's BatchNorm moves through the global mean into the
/// head's Linear (exact algebra: the mean of an affine map is the affine map of the mean). Unfolded, every
/// BatchNorm is evaluated literally, `(x − mean)/√(var+eps)·γ + β`, on every pixel; docs/verify.md gives the
/// measured difference between the two.
///
/// A model keeps scratch buffers between calls; do not call `forward` on one instance from two threads at once.
public final class ConvMixerModel {
    /// The kernel an activation runs as.
    enum Kernel { case geluErf, geluTanh, relu }

    public let config: ConvMixerSpec
    /// The numerics: `activation` (explicit) or the spec's activation in `gelu`'s form, and `batchNormEps`
    /// (changing the eps refolds the BatchNorms on the next call).
    public var numerics: Numerics
    /// Whether BatchNorm runs folded (see the type's documentation).
    public let foldsBatchNorm: Bool
    /// Threads for the depthwise convolution, the element-wise passes and cnzoo's GEMM.
    public var kernelThreads: Int
    /// The engine running the matrix products.
    public let gemm: GemmEngine
    /// When set, each forward call adds the time spent per kernel family (`gemm`, `dwconv`, `other`) to it.
    public var profile: ForwardProfile?

    struct Block {
        var dwWeight: [Float]  // [k][k][C]
        var dwBias: [Float]
        var norm1: [Float]
        var pwWeight: LinearWeight  // [C][C]
        var pwBias: [Float]
        var norm2: [Float]?  // nil: folded into the head (last block)
    }

    /// What depends on the BatchNorm eps: the prepared BatchNorms and the head (which absorbs the last one).
    struct Prepared {
        var eps: Float
        var stemNorm: [Float]
        var blockNorms: [(norm1: [Float], norm2: [Float]?)]
        var headWeight: LinearWeight
        var headBias: [Float]
    }

    let stemWeight: LinearWeight  // [C][in·p·p], rows ordered (in, kh, kw)
    let stemBias: [Float]
    let blocks: [Block]
    /// The raw BatchNorm tensors (`weight, bias, running_mean, running_var`) by canonical prefix, and the head.
    private let batchNorms: [String: [[Float]]]
    private let head: (weight: [Float], bias: [Float])
    private let packed: Bool
    private var prepared: Prepared?
    private let workspace = Workspace()

    /// The activation kernel `numerics` selects for this architecture.
    var kernel: Kernel {
        switch numerics.activation ?? config.activation {
        case .relu: return .relu
        case .geluTanh: return .geluTanh
        case .gelu where numerics.activation == .gelu: return .geluErf  // explicit: literal
        default: return numerics.gelu == .erf ? .geluErf : .geluTanh
        }
    }

    /// The activation actually run (`gelu` = erf form).
    public var activation: CNZooCore.Activation {
        switch kernel {
        case .geluErf: return .gelu
        case .geluTanh: return .geluTanh
        case .relu: return .relu
        }
    }

    /// Builds the model from a checkpoint in canonical names (`ConvMixerSpec.parameters()`). Every canonical tensor
    /// must be present with its exact shape and no other tensor may be present (a stray name means the mapping is
    /// wrong); a checkpoint without `head.weight` (headless) is refused. The activation is not in the weights:
    /// `activation` is the architecture's (`gelu` or `relu`; `numerics` picks the GELU form or overrides it).
    public init(checkpoint: Checkpoint, activation: CNZooCore.Activation = .gelu, numerics: Numerics, foldBatchNorm: Bool = true,
                kernelThreads: Int = 2, gemm: GemmEngine = .auto) throws {
        let spec = try ConvMixerSpec(inferringFrom: checkpoint, activation: activation)
        if gemm == .cnzoo && !GemmEngine.ownKernelAvailable {
            throw CNZooError(.unsupported, "cnzoo's GEMM kernel needs AVX-512; use --gemm openblas")
        }
        let own = gemm != .openblas && GemmEngine.ownKernelAvailable
        self.gemm = own ? .cnzoo : .openblas
        self.packed = own
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
        var values: [String: [Float]] = [:]
        for p in expected {
            guard let t = byName[p.name] else {
                throw CNZooError(.mapping, "missing tensor for \(spec.summary)", tensor: p.name)
            }
            guard t.shape == p.shape else { throw CNZooError(.mapping, "shape \(t.shape), expected \(p.shape)", tensor: p.name) }
            values[p.name] = try WeightWidening.floats(t)
        }
        func v(_ name: String) -> [Float] { values[name] ?? [] }
        var norms: [String: [[Float]]] = [:]
        for p in expected where p.role == .bnWeight {
            let prefix = String(p.name.dropLast(".weight".count))
            norms[prefix] = ["weight", "bias", "running_mean", "running_var"].map { v(prefix + "." + $0) }
        }
        batchNorms = norms
        let c = spec.dim, k = spec.kernelSize
        stemWeight = LinearWeight(v("stem.0.weight"), n: c, k: spec.inChannels * spec.patchSize * spec.patchSize,
                                  packedForOwnKernel: own)
        stemBias = v("stem.0.bias")
        blocks = (0..<spec.depth).map { i in
            let pre = "blocks.\(i)."
            let dw = v(pre + "0.fn.0.weight")  // [C][1][k][k] → [k][k][C]
            var dwt = [Float](repeating: 0, count: dw.count)
            for ch in 0..<c { for t in 0..<(k * k) { dwt[t * c + ch] = dw[ch * k * k + t] } }
            return Block(dwWeight: dwt, dwBias: v(pre + "0.fn.0.bias"), norm1: [],
                         pwWeight: LinearWeight(v(pre + "1.weight"), n: c, k: c, packedForOwnKernel: own),
                         pwBias: v(pre + "1.bias"), norm2: nil)
        }
        head = (v("head.weight"), v("head.bias"))
        _ = prepare()
    }

    /// The BatchNorms and head for the current eps (rebuilt only when it changed).
    private func prepare() -> Prepared {
        let eps = numerics.batchNormEps
        if let prepared, prepared.eps == eps { return prepared }
        let c = config.dim, fold = foldsBatchNorm
        func norm(_ prefix: String) -> [Float] {
            let t = batchNorms[prefix] ?? []
            return Self.batchNorm(weight: t[0], bias: t[1], mean: t[2], variance: t[3], eps: eps, fold: fold)
        }
        var fc = head.weight, fcBias = head.bias
        if fold {
            // head(scale ⊙ p + shift) = (W·diag(scale))·p + (b + W·shift).
            let last = norm("blocks.\(config.depth - 1).3")
            for o in 0..<config.numClasses {
                var b = Double(fcBias[o])
                for j in 0..<c {
                    b += Double(fc[o * c + j]) * Double(last[c + j])
                    fc[o * c + j] = Float(Double(fc[o * c + j]) * Double(last[j]))
                }
                fcBias[o] = Float(b)
            }
        }
        let p = Prepared(eps: eps, stemNorm: norm("stem.2"),
                         blockNorms: (0..<config.depth).map { i in
                             (norm("blocks.\(i).0.fn.2"), fold && i == config.depth - 1 ? nil : norm("blocks.\(i).3"))
                         },
                         headWeight: LinearWeight(fc, n: config.numClasses, k: c, packedForOwnKernel: packed),
                         headBias: fcBias)
        prepared = p
        return p
    }

    /// One BatchNorm as `4·C` floats: folded `[scale | shift | – | –]`, unfolded `[mean | √(var+eps) | γ | β]`.
    static func batchNorm(weight: [Float], bias: [Float], mean: [Float], variance: [Float], eps: Float,
                          fold: Bool) -> [Float] {
        let c = weight.count
        var out = [Float](repeating: 0, count: 4 * c)
        for j in 0..<c {
            if fold {
                let scale = Double(weight[j]) / (Double(variance[j]) + Double(eps)).squareRoot()
                out[j] = Float(scale)
                out[c + j] = Float(Double(bias[j]) - Double(mean[j]) * scale)
            } else {
                out[j] = mean[j]
                out[c + j] = (variance[j] + eps).squareRoot()
                out[2 * c + j] = weight[j]
                out[3 * c + j] = bias[j]
            }
        }
        return out
    }

    /// Runs the model on an NCHW float32 batch (`batch × inChannels × height × width`, C order; height and width
    /// positive multiples of the patch size) and returns the logits, `batch × numClasses`, row-major.
    public func forward(_ input: [Float], batch n: Int, height: Int, width: Int) throws -> [Float] {
        let cfg = config
        let p = cfg.patchSize
        guard n >= 1 else { throw CNZooError(.usage, "batch must be at least 1") }
        guard height > 0, width > 0, height % p == 0, width % p == 0 else {
            throw CNZooError(.usage, "input height and width must be positive multiples of the patch size \(p), got \(height)×\(width)")
        }
        guard input.count == n * cfg.inChannels * height * width else {
            throw CNZooError(.usage, "input holds \(input.count) values, expected \(n)×\(cfg.inChannels)×\(height)×\(width)")
        }
        let ws = workspace
        let prep = prepare()
        let kernel = self.kernel
        let h = height / p, w = width / p, c = cfg.dim
        let m = n * h * w
        let kIn = cfg.inChannels * p * p
        let cols = ws.buffer(0, m * kIn)
        input.withUnsafeBufferPointer { src in
            Self.gatherPatches(src.baseAddress!, into: cols, batch: n, channels: cfg.inChannels, height: height,
                               width: width, patch: p)
        }
        let x = ws.buffer(1, m * c)
        timed("gemm") { stemWeight.apply(cols, x, m: m, threads: kernelThreads) }
        timed("other") { epilogue(x, rows: m, bias: stemBias, norm: prep.stemNorm, kernel: kernel) }
        let t = ws.buffer(2, m * c)
        for (blk, norms) in zip(blocks, prep.blockNorms) {
            timed("dwconv") { depthwise(blk, norm: norms.norm1, kernel: kernel, x: x, into: t, batch: n, height: h, width: w) }
            timed("gemm") { blk.pwWeight.apply(t, x, m: m, threads: kernelThreads) }
            timed("other") { epilogue(x, rows: m, bias: blk.pwBias, norm: norms.norm2, kernel: kernel) }
        }
        let pooled = ws.buffer(3, n * c)
        let inv = 1 / Float(h * w)
        for b in 0..<n {
            let dst = pooled + b * c
            dst.update(repeating: 0, count: c)
            for i in 0..<(h * w) {
                let src = x + (b * h * w + i) * c
                for j in 0..<c { dst[j] += src[j] }
            }
            for j in 0..<c { dst[j] *= inv }
        }
        var logits = [Float](repeating: 0, count: n * cfg.numClasses)
        logits.withUnsafeMutableBufferPointer { out in
            prep.headWeight.apply(pooled, out.baseAddress!, m: n, threads: kernelThreads)
            for b in 0..<n { for o in 0..<cfg.numClasses { out[b * cfg.numClasses + o] += prep.headBias[o] } }
        }
        return logits
    }

    /// NCHW input → rows of p×p patches ordered (channel, kh, kw), one row per output pixel (NHWC order).
    static func gatherPatches(_ inp: UnsafePointer<Float>, into cols: UnsafeMutablePointer<Float>, batch n: Int,
                              channels: Int, height: Int, width: Int, patch p: Int) {
        let h = height / p, w = width / p, kIn = channels * p * p
        for b in 0..<n {
            for ci in 0..<channels {
                for oy in 0..<h {
                    for ky in 0..<p {
                        let line = inp + ((b * channels + ci) * height + oy * p + ky) * width
                        for ox in 0..<w {
                            (cols + ((b * h + oy) * w + ox) * kIn + (ci * p + ky) * p).update(from: line + ox * p, count: p)
                        }
                    }
                }
            }
        }
    }

    /// `t = x + BN(act(dwconv(x)))` per image, rows split over the kernel threads.
    private func depthwise(_ blk: Block, norm: [Float], kernel: Kernel, x: UnsafeMutablePointer<Float>,
                           into t: UnsafeMutablePointer<Float>, batch n: Int, height h: Int, width w: Int) {
        let c = config.dim, k = config.kernelSize
        let padded = workspace.buffer(4, (h + k - 1) * (w + k - 1) * c)
        let parts = min(kernelThreads, h)
        blk.dwWeight.withUnsafeBufferPointer { dw in
            blk.dwBias.withUnsafeBufferPointer { db in
                norm.withUnsafeBufferPointer { nb in
                    for b in 0..<n {
                        let src = UnsafePointer(x + b * h * w * c), dst = t + b * h * w * c
                        Parallel.split(h + k - 1, parts: parts) { rows in
                            DepthwiseConv.pad(input: src, padded: padded, height: h, width: w, channels: c, kernel: k,
                                              paddedRows: rows)
                        }
                        Parallel.split(h, parts: parts) { rows in
                            for y in rows {
                                DepthwiseConv.apply(input: src, output: dst, height: h, width: w, channels: c, kernel: k,
                                                    weight: dw.baseAddress!, bias: db.baseAddress!, padded: padded,
                                                    rows: y..<(y + 1), pad: false)
                                Self.biasActNorm(dst + y * w * c, rows: w, channels: c, bias: nil, kernel: kernel,
                                                 norm: nb.baseAddress!, fold: foldsBatchNorm, residual: src + y * w * c)
                            }
                        }
                    }
                }
            }
        }
    }

    /// `x = BN(act(x + bias))` over `rows × C`, split over the kernel threads (`norm` nil: no BatchNorm).
    private func epilogue(_ x: UnsafeMutablePointer<Float>, rows: Int, bias: [Float], norm: [Float]?, kernel: Kernel) {
        let c = config.dim
        bias.withUnsafeBufferPointer { bp in
            (norm ?? []).withUnsafeBufferPointer { np in
                Parallel.split(rows, parts: kernelThreads) { r in
                    Self.biasActNorm(x + r.lowerBound * c, rows: r.count, channels: c, bias: bp.baseAddress!,
                                     kernel: kernel, norm: norm == nil ? nil : np.baseAddress!,
                                     fold: foldsBatchNorm, residual: nil)
                }
            }
        }
    }

    /// Element-wise `x = BN(act(x + bias)) + residual` over a row-major `rows × C` buffer (bias, BatchNorm and
    /// residual each optional); `norm` is laid out as `batchNorm(...)` returns it.
    static func biasActNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, channels c: Int, bias: UnsafePointer<Float>?,
                            kernel: Kernel, norm: UnsafePointer<Float>?, fold: Bool,
                            residual: UnsafePointer<Float>?) {
        @inline(__always) func act(_ v: SIMD16<Float>) -> SIMD16<Float> {
            switch kernel {
            case .geluErf: return Activation.geluErf(v)
            case .geluTanh: return Activation.geluTanh(v)
            case .relu: var r = v; r.replace(with: 0, where: r .< 0); return r
            }
        }
        @inline(__always) func bn(_ v: SIMD16<Float>, _ j: Int) -> SIMD16<Float> {
            guard let norm else { return v }
            if fold { return v * load16(norm + j) + load16(norm + c + j) }
            return (v - load16(norm + j)) / load16(norm + c + j) * load16(norm + 2 * c + j) + load16(norm + 3 * c + j)
        }
        let c16 = c / 16 * 16
        for r in 0..<rows {
            let row = x + r * c
            var j = 0
            while j < c16 {
                var v = load16(row + j)
                if let bias { v += load16(bias + j) }
                v = bn(act(v), j)
                if let residual { v += load16(residual + r * c + j) }
                store16(row + j, v)
                j += 16
            }
            // Channel tail: the same arithmetic on one lane.
            while j < c {
                var v = SIMD16<Float>(repeating: row[j])
                if let bias { v += SIMD16(repeating: bias[j]) }
                v = act(v)
                if let norm {
                    v = fold ? v * norm[j] + norm[c + j] : (v - norm[j]) / norm[c + j] * norm[2 * c + j] + norm[3 * c + j]
                }
                if let residual { v += SIMD16(repeating: residual[r * c + j]) }
                row[j] = v[0]
                j += 1
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
        try ConvMixerModel(checkpoint: weights, activation: (spec as? ConvMixerSpec)?.activation ?? .gelu,
                           numerics: numerics, kernelThreads: options.threads, gemm: options.gemm)
    }
}

extension ConvMixerModel: ForwardModel {
    public var architecture: any ArchitectureSpec { config }
    public var numClasses: Int { config.numClasses }
    public var inputChannels: Int { config.inChannels }
    public var inputStride: Int { config.patchSize }
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
