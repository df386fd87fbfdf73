import CNZooCore
import CNZooKernelsC
import CNZooMapping

/// A ConvNeXt ready to run: weights packed for cnzoo's C kernels (or kept row-major for OpenBLAS), activations NHWC.
///
/// Per block: depthwise k×k conv + LayerNorm (fused per pair of output rows) → Linear C→4C with bias + GELU in the GEMM's
/// output stage → Linear 4C→C with bias, layer scale and the residual add in the GEMM's output stage. The stem and
/// downsampling convs are patch gathers followed by one GEMM each. The kernels are chosen at start-up for this CPU
/// (`kernels`; see `Kernels.active`).
///
/// A model keeps scratch buffers between calls; do not call `forward` on one instance from two threads at once.
public final class ConvNeXtModel {
    public let config: ConvNeXtSpec
    public var numerics: Numerics
    /// Threads the kernels split their work over.
    public var kernelThreads: Int
    /// The kernel set the forward pass runs (default: the one chosen at start-up).
    public var kernels: Kernels = .active

    struct Block {
        var dwWeight: UnsafePointer<Float>  // [k][k][C]
        var dwBias: UnsafePointer<Float>
        var normWeight: UnsafePointer<Float>
        var normBias: UnsafePointer<Float>
        var fc1Weight: LinearWeight  // [4C][C]
        var fc1Bias: UnsafePointer<Float>
        var fc2Weight: LinearWeight  // [C][4C]
        var fc2Bias: UnsafePointer<Float>
        var layerScale: UnsafePointer<Float>  // [C] (ones when the checkpoint has none)
    }

    struct Downsample {
        var normWeight: UnsafePointer<Float>
        var normBias: UnsafePointer<Float>
        var convWeight: LinearWeight  // [C][2][2][Cprev] (tap-major rows to match the NHWC patch gather)
        var convBias: UnsafePointer<Float>
    }

    let stemWeight: LinearWeight  // [C0][in·p·p] in torch order (in, kh, kw)
    let stemBias: UnsafePointer<Float>
    let stemNormWeight: UnsafePointer<Float>
    let stemNormBias: UnsafePointer<Float>
    let blocks: [[Block]]
    let downsamples: [Downsample?]
    let headNormWeight: UnsafePointer<Float>
    let headNormBias: UnsafePointer<Float>
    let fcWeight: LinearWeight
    let fcBias: UnsafePointer<Float>
    /// The engine running the matrix products.
    public let gemm: GemmEngine
    private let parameters: ParameterStore
    private let workspace = Workspace()
    /// Fuse bias + GELU and bias + layer scale + residual into the GEMM output stage; off runs them as separate
    /// passes (for measuring what fusion buys).
    public var fuseEpilogues = true
    /// When set, each forward call adds the time spent per kernel family (`gemm`, `dwconv+ln`, `mlp`, `layernorm`)
    /// to it.
    public var profile: ForwardProfile?

    /// Builds the model from a checkpoint in canonical names. Every canonical tensor must be present with its
    /// exact shape, and no other tensor may be present (a stray name means the mapping is wrong). Linear weights
    /// are packed straight from the checkpoint's bytes (f16/bf16 widened while packing); nothing else is copied.
    public init(checkpoint: Checkpoint, numerics: Numerics, kernelThreads: Int = 2, gemm: GemmEngine = .auto) throws {
        let config = try ConvNeXtSpec(inferringFrom: checkpoint)
        try config.validate()
        let engine = try gemm.resolved()
        self.gemm = engine
        self.config = config
        self.numerics = numerics
        self.kernelThreads = max(1, kernelThreads)
        var byName: [String: TensorEntry] = [:]
        for t in checkpoint.tensors { byName[t.name] = t }
        let expected = config.parameters().map { (name: $0.name, shape: $0.shape) }
        let expectedNames = Set(expected.map(\.name))
        if let stray = checkpoint.tensors.first(where: { !expectedNames.contains($0.name) }) {
            throw CNZooError(.mapping, "unexpected tensor for a ConvNeXt with depths \(config.depths) dims \(config.dims)",
                             tensor: stray.name)
        }
        for (name, shape) in expected {
            guard let t = byName[name] else {
                throw CNZooError(.mapping, "missing tensor for a ConvNeXt with depths \(config.depths) dims \(config.dims)",
                                 tensor: name)
            }
            // torchvision keeps layer scale as [C,1,1]; accept any shape with the right element count there.
            let ok = t.shape == shape || (name.hasSuffix("layer_scale") && t.elementCount == shape[0])
            guard ok else {
                throw CNZooError(.mapping, "shape \(t.shape), expected \(shape)", tensor: name)
            }
        }
        let store = ParameterStore()
        parameters = store
        func entry(_ name: String) -> TensorEntry { byName[name]! }
        func v(_ name: String) throws -> UnsafePointer<Float> { store.keep(try WeightWidening.floats(entry(name))) }
        func linear(_ name: String, _ n: Int, _ k: Int) throws -> LinearWeight {
            try LinearWeight(entry(name), n: n, k: k, engine: engine)
        }
        stemWeight = try linear("stem.conv.weight", config.dims[0], config.inChannels * config.patchSize * config.patchSize)
        stemBias = try v("stem.conv.bias")
        stemNormWeight = try v("stem.norm.weight")
        stemNormBias = try v("stem.norm.bias")
        var blocks: [[Block]] = []
        var downs: [Downsample?] = []
        let k = config.kernelSize
        for s in 0..<config.depths.count {
            let c = config.dims[s]
            if s > 0 {
                let prev = config.dims[s - 1]
                let w = try WeightWidening.floats(entry("stages.\(s).downsample.conv.weight"))  // [C][prev][2][2]
                var r = [Float](repeating: 0, count: w.count)
                for o in 0..<c { for i in 0..<prev { for t in 0..<4 { r[(o * 4 + t) * prev + i] = w[(o * prev + i) * 4 + t] } } }
                downs.append(Downsample(normWeight: try v("stages.\(s).downsample.norm.weight"),
                                        normBias: try v("stages.\(s).downsample.norm.bias"),
                                        convWeight: LinearWeight(r, n: c, k: 4 * prev, engine: engine),
                                        convBias: try v("stages.\(s).downsample.conv.bias")))
            } else {
                downs.append(nil)
            }
            var stage: [Block] = []
            for b in 0..<config.depths[s] {
                let pre = "stages.\(s).blocks.\(b)."
                let dw = try WeightWidening.floats(entry(pre + "dwconv.weight"))  // [C][1][k][k]
                var dwt = [Float](repeating: 0, count: dw.count)
                for ch in 0..<c { for t in 0..<(k * k) { dwt[t * c + ch] = dw[ch * k * k + t] } }
                stage.append(Block(dwWeight: store.keep(dwt), dwBias: try v(pre + "dwconv.bias"),
                                   normWeight: try v(pre + "norm.weight"), normBias: try v(pre + "norm.bias"),
                                   fc1Weight: try linear(pre + "pwconv1.weight", 4 * c, c),
                                   fc1Bias: try v(pre + "pwconv1.bias"),
                                   fc2Weight: try linear(pre + "pwconv2.weight", c, 4 * c),
                                   fc2Bias: try v(pre + "pwconv2.bias"),
                                   layerScale: config.layerScale ? try v(pre + "layer_scale")
                                       : store.keep([Float](repeating: 1, count: c))))
            }
            blocks.append(stage)
        }
        self.blocks = blocks
        self.downsamples = downs
        headNormWeight = try v("head.norm.weight")
        headNormBias = try v("head.norm.bias")
        fcWeight = try linear("head.fc.weight", config.numClasses, config.dims[config.dims.count - 1])
        fcBias = try v("head.fc.bias")
    }

    /// Runs the model on an NCHW float32 batch (`batch × inChannels × height × width`, C order; any height and width
    /// of at least `config.minimumInputSize`) and returns the logits, `batch × numClasses`, row-major.
    public func forward(_ input: [Float], batch n: Int, height: Int, width: Int) throws -> [Float] {
        let cfg = config
        guard n >= 1 else { throw CNZooError(.usage, "batch must be at least 1") }
        guard height >= cfg.minimumInputSize, width >= cfg.minimumInputSize else {
            throw CNZooError(.usage, "input height and width must be at least \(cfg.minimumInputSize) (patch "
                             + "\(cfg.patchSize), halved \(cfg.depths.count - 1) times), got \(height)×\(width)")
        }
        guard input.count == n * cfg.inChannels * height * width else {
            throw CNZooError(.usage, "input holds \(input.count) values, expected \(n)×\(cfg.inChannels)×\(height)×\(width)")
        }
        let ws = workspace
        let kern = kernels
        let threads = kernelThreads
        let p = cfg.patchSize
        // Strided convs floor (⌊(in − k) / s⌋ + 1 with k = s): the gathers skip the rows and columns no patch covers.
        var h = height / p, w = width / p
        var c = cfg.dims[0]
        // Stem: p×p patches as rows ordered (channel, kh, kw), one GEMM with the bias, then LayerNorm.
        let cols = ws.buffer(0, n * h * w * cfg.inChannels * p * p)
        input.withUnsafeBufferPointer {
            KernelLayout.patchesNCHW($0.baseAddress!, cols, batch: n, channels: cfg.inChannels, height: height,
                                     width: width, patch: p)
        }
        var x = ws.buffer(1, n * h * w * c)
        timed("gemm") {
            stemWeight.apply(cols, x, m: n * h * w, threads: threads, kernels: kern, epilogue: .init(bias: stemBias))
        }
        layerNorm(x, x, rows: n * h * w, c: c, stemNormWeight, stemNormBias, numerics.layerNormEps)

        for s in 0..<cfg.depths.count {
            if let ds = downsamples[s] {
                // LayerNorm, then 2×2 stride-2 patches (rows ordered kh, kw, channel) and one GEMM with the bias.
                let prev = c
                c = cfg.dims[s]
                let normed = ws.buffer(2, n * h * w * prev)
                layerNorm(x, normed, rows: n * h * w, c: prev, ds.normWeight, ds.normBias, numerics.layerNormEps)
                let gather = ws.buffer(3, n * h * w * prev)
                KernelLayout.patchesNHWC(normed, gather, batch: n, height: h, width: w, channels: prev, patch: 2)
                h /= 2
                w /= 2
                x = ws.buffer(1, n * h * w * c)  // the old activations were already gathered
                timed("gemm") {
                    ds.convWeight.apply(gather, x, m: n * h * w, threads: threads, kernels: kern,
                                        epilogue: .init(bias: ds.convBias))
                }
            }
            for blk in blocks[s] {
                runBlock(blk, x: x, batch: n, height: h, width: w, channels: c)
            }
        }
        // Head: global average pool, LayerNorm (head eps), Linear with the bias.
        let pooled = ws.buffer(2, n * c)
        kern.averagePool(x, pooled, batch: n, positions: h * w, channels: c)
        layerNorm(pooled, pooled, rows: n, c: c, headNormWeight, headNormBias, numerics.headNormEps)
        var logits = [Float](repeating: 0, count: n * cfg.numClasses)
        logits.withUnsafeMutableBufferPointer { out in
            fcWeight.apply(pooled, out.baseAddress!, m: n, threads: threads, kernels: kern,
                           epilogue: .init(bias: fcBias))
        }
        return logits
    }

    private func runBlock(_ blk: Block, x: UnsafeMutablePointer<Float>, batch n: Int, height h: Int, width w: Int,
                          channels c: Int) {
        let kern = kernels
        let k = config.kernelSize
        let m = n * h * w
        let t = workspace.buffer(6, m * c)
        let eps = numerics.layerNormEps
        // Depthwise conv and the LayerNorm after it, fused per pair of output rows (still in cache); the
        // (image, row pair) tasks are taken by whichever thread is free.
        timed("dwconv+ln") {
            let pairs = (h + 1) / 2  // the kernels compute output rows in pairs (one input-row load serves both)
            Parallel.forEach(n * pairs, threads: kernelThreads) { i in
                let (b, y) = (i / pairs, i % pairs * 2)
                let rows = y..<min(h, y + 2)
                let src = x + b * h * w * c, dst = t + b * h * w * c
                kern.depthwise(input: src, output: dst, height: h, width: w, channels: c, kernel: k,
                               weight: blk.dwWeight, rows: rows, epilogue: .init(bias: blk.dwBias))
                let first = dst + y * w * c
                kern.layerNorm(first, first, rows: rows.count * w, channels: c, weight: blk.normWeight,
                               bias: blk.normBias, eps: eps)
            }
        }
        // Linear C→4C with bias + GELU, then Linear 4C→C with bias, layer scale and the residual add (fused into
        // the GEMM's output stage, or as separate passes); both layers block by block of rows where there are
        // enough rows.
        let gelu = KernelEpilogue(bias: blk.fc1Bias, activation: KernelActivation(numerics.gelu))
        let residual = KernelEpilogue(bias: blk.fc2Bias, postScale: blk.layerScale, residual: x)
        timed("mlp") {
            if fuseEpilogues && LinearWeight.chained(blk.fc1Weight, gelu, blk.fc2Weight, residual, input: t, output: t,
                                                     m: m, threads: kernelThreads, kernels: kern, workspace: workspace,
                                                     slot: 9) {
                return
            }
            if fuseEpilogues {
                let hl = MatrixLayout.rowMajorSpread(columns: 4 * c), hidden = workspace.buffer(8, m * hl.rowStride)
                blk.fc1Weight.apply(t, hidden, m: m, threads: kernelThreads, kernels: kern, epilogue: gelu, cLayout: hl)
                blk.fc2Weight.apply(hidden, t, m: m, threads: kernelThreads, kernels: kern, epilogue: residual,
                                    aLayout: hl)
            } else {
                let hidden = workspace.buffer(8, m * 4 * c)
                blk.fc1Weight.apply(t, hidden, m: m, threads: kernelThreads, kernels: kern)
                LinearWeight.unfused(gelu, hidden, m: m, n: 4 * c, threads: kernelThreads, kernels: kern)
                blk.fc2Weight.apply(hidden, t, m: m, threads: kernelThreads, kernels: kern)
                LinearWeight.unfused(residual, t, m: m, n: c, threads: kernelThreads, kernels: kern)
            }
        }
    }

    private func layerNorm(_ src: UnsafeMutablePointer<Float>, _ dst: UnsafeMutablePointer<Float>, rows: Int, c: Int,
                           _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, _ eps: Float) {
        let kern = kernels
        timed("layernorm") {
            Parallel.split(rows, parts: rows >= 64 ? kernelThreads : 1, threads: kernelThreads) { r in
                kern.layerNorm(src + r.lowerBound * c, dst + r.lowerBound * c, rows: r.count, channels: c,
                               weight: weight, bias: bias, eps: eps)
            }
        }
    }

    @inline(__always) private func timed(_ key: String, _ body: () -> Void) {
        guard let profile else { return body() }
        let t0 = ContinuousClock.now
        body()
        profile.add(key, ContinuousClock.now - t0)
    }
}

/// Small float vectors (biases, norms, depthwise weights) a model keeps for its lifetime, each in its own
/// allocation so the kernels can take plain pointers.
final class ParameterStore {
    private var allocations: [UnsafeMutablePointer<Float>] = []

    /// A copy of `values` that lives as long as the store.
    func keep(_ values: [Float]) -> UnsafePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, values.count))
        values.withUnsafeBufferPointer { if let b = $0.baseAddress { p.initialize(from: b, count: values.count) } }
        allocations.append(p)
        return UnsafePointer(p)
    }

    deinit { for p in allocations { p.deallocate() } }
}
