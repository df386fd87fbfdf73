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
    /// The activation after every convolution; the raw values are the CLI's spelling (`--activation`).
    public enum Activation: String, Sendable, CaseIterable, Codable {
        /// Exact GELU, `0.5·x·(1 + erf(x/√2))` (timm, PyTorch `nn.GELU()`).
        case gelu
        /// tanh-form GELU (MindSpore `nn.GELU()`'s default).
        case geluTanh = "gelu-tanh"
        /// `max(x, 0)` (the released convmixer_768_32).
        case relu

        /// The activation a spec names (`gelu` or `relu`), with the GELU form of a framework's numerics.
        public init(spec: String, gelu form: Numerics.GELU) throws {
            switch spec {
            case "relu": self = .relu
            case "gelu": self = form == .erf ? .gelu : .geluTanh
            default: throw CNZooError(.unsupported, "unknown ConvMixer activation '\(spec)' (gelu, relu)")
            }
        }
    }

    public let config: ConvMixerSpec
    public var activation: Activation
    /// The BatchNorm eps the running statistics were folded with.
    public let batchNormEps: Float
    /// Whether BatchNorm runs folded (see the type's documentation).
    public let foldsBatchNorm: Bool
    /// Threads for the depthwise convolution, the element-wise passes and cnzoo's GEMM.
    public var kernelThreads: Int
    /// The engine running the matrix products.
    public let gemm: GemmEngine

    struct Block {
        var dwWeight: [Float]  // [k][k][C]
        var dwBias: [Float]
        var norm1: [Float]
        var pwWeight: LinearWeight  // [C][C]
        var pwBias: [Float]
        var norm2: [Float]?  // nil: folded into the head (last block)
    }

    let stemWeight: LinearWeight  // [C][in·p·p], rows ordered (in, kh, kw)
    let stemBias: [Float]
    let stemNorm: [Float]
    let blocks: [Block]
    let headWeight: LinearWeight
    let headBias: [Float]
    private let workspace = Workspace()

    /// Builds the model from a checkpoint in canonical names (`ConvMixerSpec.parameters()`). Every canonical tensor
    /// must be present with its exact shape and no other tensor may be present (a stray name means the mapping is
    /// wrong); a checkpoint without `head.weight` (headless) is refused.
    public init(checkpoint: Checkpoint, activation: Activation, batchNormEps: Float = 1e-5, foldBatchNorm: Bool = true,
                kernelThreads: Int = 2, gemm: GemmEngine = .auto) throws {
        let spec = try ConvMixerSpec(inferringFrom: checkpoint)
        if gemm == .cnzoo && !GemmEngine.ownKernelAvailable {
            throw CNZooError(.unsupported, "cnzoo's GEMM kernel needs AVX-512; use --gemm openblas")
        }
        let own = gemm != .openblas && GemmEngine.ownKernelAvailable
        self.gemm = own ? .cnzoo : .openblas
        self.config = spec
        self.activation = activation
        self.batchNormEps = batchNormEps
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
        func norm(_ prefix: String) -> [Float] {
            Self.batchNorm(weight: v(prefix + ".weight"), bias: v(prefix + ".bias"), mean: v(prefix + ".running_mean"),
                           variance: v(prefix + ".running_var"), eps: batchNormEps, fold: foldBatchNorm)
        }
        let c = spec.dim, k = spec.kernelSize
        stemWeight = LinearWeight(v("stem.0.weight"), n: c, k: spec.inChannels * spec.patchSize * spec.patchSize,
                                  packedForOwnKernel: own)
        stemBias = v("stem.0.bias")
        stemNorm = norm("stem.2")
        var blocks: [Block] = []
        for i in 0..<spec.depth {
            let pre = "blocks.\(i)."
            let dw = v(pre + "0.fn.0.weight")  // [C][1][k][k] → [k][k][C]
            var dwt = [Float](repeating: 0, count: dw.count)
            for ch in 0..<c { for t in 0..<(k * k) { dwt[t * c + ch] = dw[ch * k * k + t] } }
            let last = i == spec.depth - 1 && foldBatchNorm
            blocks.append(Block(dwWeight: dwt, dwBias: v(pre + "0.fn.0.bias"), norm1: norm(pre + "0.fn.2"),
                                pwWeight: LinearWeight(v(pre + "1.weight"), n: c, k: c, packedForOwnKernel: own),
                                pwBias: v(pre + "1.bias"), norm2: last ? nil : norm(pre + "3")))
        }
        self.blocks = blocks
        var fc = v("head.weight"), fcBias = v("head.bias")
        if foldBatchNorm {
            // head(scale ⊙ p + shift) = (W·diag(scale))·p + (b + W·shift).
            let last = norm("blocks.\(spec.depth - 1).3")
            for o in 0..<spec.numClasses {
                var b = Double(fcBias[o])
                for j in 0..<c {
                    b += Double(fc[o * c + j]) * Double(last[c + j])
                    fc[o * c + j] = Float(Double(fc[o * c + j]) * Double(last[j]))
                }
                fcBias[o] = Float(b)
            }
        }
        headWeight = LinearWeight(fc, n: spec.numClasses, k: c, packedForOwnKernel: own)
        headBias = fcBias
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
        let h = height / p, w = width / p, c = cfg.dim
        let m = n * h * w
        let kIn = cfg.inChannels * p * p
        let cols = ws.buffer(0, m * kIn)
        input.withUnsafeBufferPointer { src in
            Self.gatherPatches(src.baseAddress!, into: cols, batch: n, channels: cfg.inChannels, height: height,
                               width: width, patch: p)
        }
        let x = ws.buffer(1, m * c)
        stemWeight.apply(cols, x, m: m, threads: kernelThreads)
        epilogue(x, rows: m, bias: stemBias, norm: stemNorm)
        let t = ws.buffer(2, m * c)
        for blk in blocks {
            depthwise(blk, x: x, into: t, batch: n, height: h, width: w)
            blk.pwWeight.apply(t, x, m: m, threads: kernelThreads)
            epilogue(x, rows: m, bias: blk.pwBias, norm: blk.norm2)
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
            headWeight.apply(pooled, out.baseAddress!, m: n, threads: kernelThreads)
            for b in 0..<n { for o in 0..<cfg.numClasses { out[b * cfg.numClasses + o] += headBias[o] } }
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
    private func depthwise(_ blk: Block, x: UnsafeMutablePointer<Float>, into t: UnsafeMutablePointer<Float>,
                           batch n: Int, height h: Int, width w: Int) {
        let c = config.dim, k = config.kernelSize
        let padded = workspace.buffer(4, (h + k - 1) * (w + k - 1) * c)
        let parts = min(kernelThreads, h)
        blk.dwWeight.withUnsafeBufferPointer { dw in
            blk.dwBias.withUnsafeBufferPointer { db in
                blk.norm1.withUnsafeBufferPointer { nb in
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
                                Self.biasActNorm(dst + y * w * c, rows: w, channels: c, bias: nil, activation: activation,
                                                 norm: nb.baseAddress!, fold: foldsBatchNorm, residual: src + y * w * c)
                            }
                        }
                    }
                }
            }
        }
    }

    /// `x = BN(act(x + bias))` over `rows × C`, split over the kernel threads (`norm` nil: no BatchNorm).
    private func epilogue(_ x: UnsafeMutablePointer<Float>, rows: Int, bias: [Float], norm: [Float]?) {
        let c = config.dim
        bias.withUnsafeBufferPointer { bp in
            (norm ?? []).withUnsafeBufferPointer { np in
                Parallel.split(rows, parts: kernelThreads) { r in
                    Self.biasActNorm(x + r.lowerBound * c, rows: r.count, channels: c, bias: bp.baseAddress!,
                                     activation: activation, norm: norm == nil ? nil : np.baseAddress!,
                                     fold: foldsBatchNorm, residual: nil)
                }
            }
        }
    }

    /// Element-wise `x = BN(act(x + bias)) + residual` over a row-major `rows × C` buffer (bias, BatchNorm and
    /// residual each optional); `norm` is laid out as `batchNorm(...)` returns it.
    static func biasActNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, channels c: Int, bias: UnsafePointer<Float>?,
                            activation: Activation, norm: UnsafePointer<Float>?, fold: Bool,
                            residual: UnsafePointer<Float>?) {
        @inline(__always) func act(_ v: SIMD16<Float>) -> SIMD16<Float> {
            switch activation {
            case .gelu: return CNZooModels.Activation.geluErf(v)
            case .geluTanh: return CNZooModels.Activation.geluTanh(v)
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

extension ConvMixerSpec {
    /// Infers the spec from canonical tensor names and shapes; the activation is not in the weights, so it is the
    /// one given.
    public init(inferringFrom checkpoint: Checkpoint, activation: String = "gelu") throws {
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
