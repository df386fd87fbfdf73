import CNZooCore
import CNZooMapping
import Dispatch

/// A ConvNeXt ready to run: weights widened to float32 and rearranged for the NHWC kernels.
///
/// Activations are NHWC. Per block: 7×7 depthwise conv (SIMD, padded input) → LayerNorm over C → Linear C→4C
/// (sgemm) → bias + GELU (vectorised) → Linear 4C→C (sgemm) → bias, layer scale and residual in one pass.
/// The stem and downsampling convs are patch gathers (im2col) followed by one sgemm each.
///
/// A model keeps scratch buffers between calls; do not call `forward` on one instance from two threads at once.
public final class ConvNeXtModel {
    public let config: ConvNeXtSpec
    public var numerics: Numerics
    /// Threads for the depthwise convolution (the GEMMs use OpenBLAS's own count; see `Gemm.setThreads`).
    public var kernelThreads: Int

    struct Block {
        var dwWeight: [Float]  // [k][k][C]
        var dwBias: [Float]
        var normWeight: [Float]
        var normBias: [Float]
        var fc1Weight: LinearWeight  // [4C][C]
        var fc1Bias: [Float]
        var fc2Weight: LinearWeight  // [C][4C]
        var fc2Bias: [Float]
        var layerScale: [Float]  // [C] (ones when the checkpoint has none)
    }

    struct Downsample {
        var normWeight: [Float]
        var normBias: [Float]
        var convWeight: LinearWeight  // [C][2][2][Cprev] (tap-major rows to match the NHWC patch gather)
        var convBias: [Float]
    }

    let stemWeight: LinearWeight  // [C0][in·p·p] in torch order (in, kh, kw)
    let stemBias: [Float]
    let stemNormWeight: [Float]
    let stemNormBias: [Float]
    let blocks: [[Block]]
    let downsamples: [Downsample?]
    let headNormWeight: [Float]
    let headNormBias: [Float]
    let fcWeight: LinearWeight
    /// The engine running the matrix products.
    public let gemm: GemmEngine
    let fcBias: [Float]
    private let workspace = Workspace()
    /// Fuse bias + GELU and bias + layer scale + residual into the GEMM output stage (cnzoo's kernel only); off runs
    /// them as separate SIMD passes (for measuring what fusion buys).
    public var fuseEpilogues = true
    /// When set, each forward call adds the time spent per kernel family (`gemm`, `dwconv`, `layernorm`, `gelu`,
    /// `residual`, `other`) to it.
    public var profile: ForwardProfile?

    /// Builds the model from a checkpoint in canonical names. Every canonical tensor must be present with its
    /// exact shape, and no other tensor may be present (a stray name means the mapping is wrong).
    public init(checkpoint: Checkpoint, numerics: Numerics, kernelThreads: Int = 2, gemm: GemmEngine = .auto) throws {
        let config = try ConvNeXtSpec(inferringFrom: checkpoint)
        try config.validate()
        if gemm == .cnzoo && !GemmEngine.ownKernelAvailable {
            throw CNZooError(.unsupported, "cnzoo's GEMM kernel needs AVX-512; use --gemm openblas")
        }
        let own = gemm != .openblas && GemmEngine.ownKernelAvailable
        self.gemm = own ? .cnzoo : .openblas
        func linear(_ w: [Float], _ n: Int, _ k: Int) -> LinearWeight { LinearWeight(w, n: n, k: k, packedForOwnKernel: own) }
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
        var values: [String: [Float]] = [:]
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
            values[name] = try WeightWidening.floats(t)
        }
        func v(_ name: String) -> [Float] { values[name] ?? [] }
        stemWeight = linear(v("stem.conv.weight"), config.dims[0], config.inChannels * config.patchSize * config.patchSize)
        stemBias = v("stem.conv.bias")
        stemNormWeight = v("stem.norm.weight")
        stemNormBias = v("stem.norm.bias")
        var blocks: [[Block]] = []
        var downs: [Downsample?] = []
        let k = config.kernelSize
        for s in 0..<config.depths.count {
            let c = config.dims[s]
            if s > 0 {
                let prev = config.dims[s - 1]
                let w = v("stages.\(s).downsample.conv.weight")  // [C][prev][2][2]
                var r = [Float](repeating: 0, count: w.count)
                for o in 0..<c { for i in 0..<prev { for t in 0..<4 { r[(o * 4 + t) * prev + i] = w[(o * prev + i) * 4 + t] } } }
                downs.append(Downsample(normWeight: v("stages.\(s).downsample.norm.weight"),
                                        normBias: v("stages.\(s).downsample.norm.bias"), convWeight: linear(r, c, 4 * prev),
                                        convBias: v("stages.\(s).downsample.conv.bias")))
            } else {
                downs.append(nil)
            }
            var stage: [Block] = []
            for b in 0..<config.depths[s] {
                let pre = "stages.\(s).blocks.\(b)."
                let dw = v(pre + "dwconv.weight")  // [C][1][k][k]
                var dwt = [Float](repeating: 0, count: dw.count)
                for ch in 0..<c { for t in 0..<(k * k) { dwt[t * c + ch] = dw[ch * k * k + t] } }
                stage.append(Block(dwWeight: dwt, dwBias: v(pre + "dwconv.bias"), normWeight: v(pre + "norm.weight"),
                                   normBias: v(pre + "norm.bias"), fc1Weight: linear(v(pre + "pwconv1.weight"), 4 * c, c),
                                   fc1Bias: v(pre + "pwconv1.bias"), fc2Weight: linear(v(pre + "pwconv2.weight"), c, 4 * c),
                                   fc2Bias: v(pre + "pwconv2.bias"),
                                   layerScale: config.layerScale ? v(pre + "layer_scale") : [Float](repeating: 1, count: c)))
            }
            blocks.append(stage)
        }
        self.blocks = blocks
        self.downsamples = downs
        headNormWeight = v("head.norm.weight")
        headNormBias = v("head.norm.bias")
        fcWeight = linear(v("head.fc.weight"), config.numClasses, config.dims[config.dims.count - 1])
        fcBias = v("head.fc.bias")
    }

    /// Runs the model on an NCHW float32 batch (`batch × inChannels × height × width`, C order) and returns the
    /// logits, `batch × numClasses`, row-major.
    public func forward(_ input: [Float], batch n: Int, height: Int, width: Int) throws -> [Float] {
        let cfg = config
        guard n >= 1 else { throw CNZooError(.usage, "batch must be at least 1") }
        guard height > 0, width > 0, height % cfg.inputStride == 0, width % cfg.inputStride == 0 else {
            throw CNZooError(.usage, "input height and width must be positive multiples of \(cfg.inputStride), got \(height)×\(width)")
        }
        guard input.count == n * cfg.inChannels * height * width else {
            throw CNZooError(.usage, "input holds \(input.count) values, expected \(n)×\(cfg.inChannels)×\(height)×\(width)")
        }
        let ws = workspace
        let p = cfg.patchSize
        var h = height / p, w = width / p
        var c = cfg.dims[0]
        let kIn = cfg.inChannels * p * p
        // Stem: gather p×p patches into rows ordered (channel, kh, kw), one GEMM, then bias + LayerNorm.
        let cols = ws.buffer(0, n * h * w * kIn)
        input.withUnsafeBufferPointer { src in
            guard let inp = src.baseAddress else { return }
            for b in 0..<n {
                for oy in 0..<h {
                    for ox in 0..<w {
                        let row = cols + ((b * h + oy) * w + ox) * kIn
                        for ci in 0..<cfg.inChannels {
                            for ky in 0..<p {
                                let s = inp + ((b * cfg.inChannels + ci) * height + oy * p + ky) * width + ox * p
                                (row + (ci * p + ky) * p).update(from: s, count: p)
                            }
                        }
                    }
                }
            }
        }
        var x = ws.buffer(1, n * h * w * c)
        timed("gemm") { stemWeight.apply(cols, x, m: n * h * w, threads: kernelThreads) }
        addBias(x, rows: n * h * w, cols: c, stemBias)
        layerNorm(x, x, rows: n * h * w, c: c, stemNormWeight, stemNormBias, numerics.layerNormEps)

        for s in 0..<cfg.depths.count {
            if let ds = downsamples[s] {
                // LayerNorm, then 2×2 stride-2 patches (rows ordered kh, kw, channel) and one GEMM.
                let prev = c
                c = cfg.dims[s]
                let normed = ws.buffer(2, n * h * w * prev)
                layerNorm(x, normed, rows: n * h * w, c: prev, ds.normWeight, ds.normBias, numerics.layerNormEps)
                let oh = h / 2, ow = w / 2
                let gather = ws.buffer(3, n * oh * ow * 4 * prev)
                for b in 0..<n {
                    for oy in 0..<oh {
                        for ox in 0..<ow {
                            let row = gather + ((b * oh + oy) * ow + ox) * 4 * prev
                            for ky in 0..<2 {
                                let src = normed + ((b * h + 2 * oy + ky) * w + 2 * ox) * prev
                                (row + ky * 2 * prev).update(from: src, count: 2 * prev)
                            }
                        }
                    }
                }
                h = oh
                w = ow
                x = ws.buffer(1, n * h * w * c)  // the old activations were already gathered
                timed("gemm") {
                    ds.convWeight.apply(gather, x, m: n * h * w, threads: kernelThreads)
                }
                addBias(x, rows: n * h * w, cols: c, ds.convBias)
            }
            for blk in blocks[s] {
                runBlock(blk, x: x, batch: n, height: h, width: w, channels: c)
            }
        }
        // Head: global average pool, LayerNorm (head eps), Linear.
        let pooled = ws.buffer(2, n * c)
        let hw = h * w
        let inv = 1 / Float(hw)
        for b in 0..<n {
            let dst = pooled + b * c
            dst.update(repeating: 0, count: c)
            for i in 0..<hw {
                let src = x + (b * hw + i) * c
                for j in 0..<c { dst[j] += src[j] }
            }
            for j in 0..<c { dst[j] *= inv }
        }
        layerNorm(pooled, pooled, rows: n, c: c, headNormWeight, headNormBias, numerics.headNormEps)
        var logits = [Float](repeating: 0, count: n * cfg.numClasses)
        logits.withUnsafeMutableBufferPointer { out in
            fcWeight.apply(pooled, out.baseAddress!, m: n, threads: kernelThreads)
        }
        addBias(&logits, rows: n, cols: cfg.numClasses, fcBias)
        return logits
    }

    private func runBlock(_ blk: Block, x: UnsafeMutablePointer<Float>, batch n: Int, height h: Int, width w: Int,
                          channels c: Int) {
        let ws = workspace
        let k = config.kernelSize
        let hw = h * w
        let m = n * hw
        let t = ws.buffer(6, m * c)
        let padded = ws.buffer(7, (h + k - 1) * (w + k - 1) * c)
        let eps = numerics.layerNormEps
        let parts = min(kernelThreads, h)
        // Depthwise conv and the LayerNorm after it, fused per output row (the row is still in cache), split by rows.
        timed("dwconv+ln") {
            blk.dwWeight.withUnsafeBufferPointer { dw in
                blk.dwBias.withUnsafeBufferPointer { db in
                    blk.normWeight.withUnsafeBufferPointer { nw in
                        blk.normBias.withUnsafeBufferPointer { nb in
                            for b in 0..<n {
                                let src = UnsafePointer(x + b * hw * c), dst = t + b * hw * c
                                Parallel.split(h + k - 1, parts: parts) { rows in
                                    DepthwiseConv.pad(input: src, padded: padded, height: h, width: w, channels: c,
                                                      kernel: k, paddedRows: rows)
                                }
                                Parallel.split(h, parts: parts) { rows in
                                    for y in rows {
                                        DepthwiseConv.apply(input: src, output: dst, height: h, width: w, channels: c,
                                                            kernel: k, weight: dw.baseAddress!, bias: db.baseAddress!,
                                                            padded: padded, rows: y..<(y + 1), pad: false)
                                        let row = dst + y * w * c
                                        LayerNormKernel.apply(row, row, rows: w, channels: c, weight: nw.baseAddress!,
                                                              bias: nb.baseAddress!, eps: eps)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let hidden = ws.buffer(8, m * 4 * c)
        let form = numerics.gelu
        // Linear C→4C with bias + GELU, then Linear 4C→C with bias, layer scale and the residual add (fused into
        // the GEMM's output stage with cnzoo's kernel; separate SIMD passes with OpenBLAS).
        timed("mlp") {
            blk.fc1Bias.withUnsafeBufferPointer { b1 in
                blk.fc2Bias.withUnsafeBufferPointer { b2 in
                    blk.layerScale.withUnsafeBufferPointer { ls in
                        let gelu = LinearWeight.Epilogue.biasGELU(bias: b1.baseAddress!, form: form)
                        let residual = LinearWeight.Epilogue.scaledResidual(bias: b2.baseAddress!, scale: ls.baseAddress!,
                                                                             residual: x)
                        if fuseEpilogues {
                            blk.fc1Weight.apply(t, hidden, m: m, threads: kernelThreads, epilogue: gelu)
                            blk.fc2Weight.apply(hidden, t, m: m, threads: kernelThreads, epilogue: residual)
                        } else {
                            blk.fc1Weight.apply(t, hidden, m: m, threads: kernelThreads)
                            LinearWeight.unfused(gelu, hidden, m: m, n: 4 * c, threads: kernelThreads)
                            blk.fc2Weight.apply(hidden, t, m: m, threads: kernelThreads)
                            LinearWeight.unfused(residual, t, m: m, n: c, threads: kernelThreads)
                        }
                    }
                }
            }
        }
    }

    private func layerNorm(_ src: UnsafeMutablePointer<Float>, _ dst: UnsafeMutablePointer<Float>, rows: Int, c: Int,
                           _ weight: [Float], _ bias: [Float], _ eps: Float) {
        timed("layernorm") {
            weight.withUnsafeBufferPointer { wp in
                bias.withUnsafeBufferPointer { bp in
                    LayerNormKernel.apply(src, dst, rows: rows, channels: c, weight: wp.baseAddress!,
                                          bias: bp.baseAddress!, eps: eps)
                }
            }
        }
    }

    @inline(__always) private func timed(_ key: String, _ body: () -> Void) {
        guard let profile else { return body() }
        let t0 = ContinuousClock.now
        body()
        profile.add(key, ContinuousClock.now - t0)
    }

    private func addBias(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int, _ bias: [Float]) {
        for r in 0..<rows {
            let row = x + r * cols
            for j in 0..<cols { row[j] += bias[j] }
        }
    }

    private func addBias(_ x: inout [Float], rows: Int, cols: Int, _ bias: [Float]) {
        for r in 0..<rows { for j in 0..<cols { x[r * cols + j] += bias[j] } }
    }
}

/// The end of a ConvNeXt block: `x += scale ⊙ (y + bias)` row by row, in one pass.
public enum Residual {
    public static func addScaled(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, rows: Int, cols: Int,
                                 bias: UnsafePointer<Float>, scale: UnsafePointer<Float>) {
        let c16 = cols / 16 * 16
        for r in 0..<rows {
            let xr = x + r * cols, yr = y + r * cols
            var j = 0
            while j < c16 {
                store16(xr + j, load16(xr + j) + load16(scale + j) * (load16(yr + j) + load16(bias + j)))
                j += 16
            }
            while j < cols { xr[j] += scale[j] * (yr[j] + bias[j]); j += 1 }
        }
    }
}
