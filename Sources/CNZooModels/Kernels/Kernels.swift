import CNZooCore
import CNZooKernelsC

/// An instruction-set level with its own compiled copy of cnzoo's C kernels (Sources/CNZooKernelsC).
public enum KernelISA: String, CaseIterable, Sendable, Codable {
    /// Plain C over 128-bit vectors (SSE2 on x86-64, NEON on arm64); runs everywhere.
    case portable
    /// x86-64 AVX2 + FMA.
    case avx2
    /// x86-64 AVX-512 F/BW/DQ/VL.
    case avx512

    var c: cnz_isa {
        switch self {
        case .portable: return CNZ_ISA_PORTABLE
        case .avx2: return CNZ_ISA_AVX2
        case .avx512: return CNZ_ISA_AVX512
        }
    }

    /// Whether this CPU runs this level's kernels.
    public var isSupported: Bool { cnz_isa_supported(c) != 0 }
}

/// An element-wise activation fused into a kernel's output stage.
public enum KernelActivation: Sendable {
    case none, relu, geluErf, geluTanh

    /// The GELU form a convention uses.
    public init(_ gelu: Numerics.GELU) { self = gelu == .erf ? .geluErf : .geluTanh }

    var c: cnz_activation {
        switch self {
        case .none: return CNZ_ACT_NONE
        case .relu: return CNZ_ACT_RELU
        case .geluErf: return CNZ_ACT_GELU_ERF
        case .geluTanh: return CNZ_ACT_GELU_TANH
        }
    }
}

/// What a kernel does to each finished value `v` at (row r, column j), in order: `v += bias[j]`,
/// `v = activation(v)`, `v = v·postScale[j] + postShift[j]` (a folded BatchNorm, or a layer scale), then the
/// residual: the GEMM adds `v` into `residual[r, j]` in place (its output buffer then holds only scratch); the
/// other kernels write `v + residual[r, j]`. Every pointer is optional.
public struct KernelEpilogue {
    public var bias: UnsafePointer<Float>?
    public var activation: KernelActivation
    public var postScale: UnsafePointer<Float>?
    public var postShift: UnsafePointer<Float>?
    public var residual: UnsafeMutablePointer<Float>?

    /// An epilogue; the defaults do nothing.
    public init(bias: UnsafePointer<Float>? = nil, activation: KernelActivation = .none,
                postScale: UnsafePointer<Float>? = nil, postShift: UnsafePointer<Float>? = nil,
                residual: UnsafeMutablePointer<Float>? = nil) {
        self.bias = bias
        self.activation = activation
        self.postScale = postScale
        self.postShift = postShift
        self.residual = residual
    }

    /// The identity.
    public static let none = KernelEpilogue()

    /// The same epilogue for a slice starting `offset` elements into the output (moves the residual pointer).
    func offset(by offset: Int) -> KernelEpilogue {
        var e = self
        e.residual = residual.map { $0 + offset }
        return e
    }

    /// The same epilogue for columns starting at `column` (moves the per-column vectors, not the residual).
    func columns(from column: Int) -> KernelEpilogue {
        var e = self
        e.bias = bias.map { $0 + column }
        e.postScale = postScale.map { $0 + column }
        e.postShift = postShift.map { $0 + column }
        return e
    }

    var c: cnz_epilogue {
        cnz_epilogue(bias: bias, act: activation.c, post_scale: postScale, post_shift: postShift, residual: residual)
    }
}

/// Where element (r, j) of a matrix lives: `r·rowStride + (j / 16)·blockStride + j % 16` floats from its start
/// (`cnz_layout`). Row-major and channel-blocked matrices (16 channels of every row, then the next 16 — NCHW16c
/// when the rows are an image's pixels) are the two used.
public struct MatrixLayout: Equatable, Sendable {
    /// Channels per block of the channel-blocked layout.
    public static let block = Int(CNZ_BLOCK)
    /// Floats from one row to the next within a block of columns.
    public var rowStride: Int
    /// Floats from one block of 16 columns to the next.
    public var blockStride: Int

    /// A layout from its two strides.
    public init(rowStride: Int, blockStride: Int) {
        self.rowStride = rowStride
        self.blockStride = blockStride
    }

    /// Row-major `[rows, columns]`.
    public static func rowMajor(columns: Int) -> MatrixLayout { MatrixLayout(rowStride: columns, blockStride: block) }

    /// Row-major `[rows, columns]` whose rows are 64 bytes longer than `columns` when `columns` floats are a multiple
    /// of 2 KiB: the GEMM's register block reads 12 rows at once, and rows 8 KiB apart (convnext_base's 2048-wide
    /// hidden layer) would all fall into one L1 set.
    public static func rowMajorSpread(columns: Int) -> MatrixLayout {
        rowMajor(columns: columns % 512 == 0 ? columns + block : columns)
    }

    /// Channel-blocked over `rows` rows: `[⌈columns/16⌉][blockRows(rows)][16]`, rows past `rows` unused.
    public static func channelBlocked(rows: Int) -> MatrixLayout {
        MatrixLayout(rowStride: block, blockStride: block * blockRows(rows))
    }

    /// The rows a channel block spans: `rows` rounded up to 64, plus 20. A GEMM register block reads one row's
    /// blocks one after the other; 64-byte rows a power of two apart would put all of them (48 for 768 channels)
    /// into the same L1 and L2 sets, and ConvMixer-768/32's 1×1 convs ran ~20 % slower per image at batch 8 than at
    /// batch 1. With 20 extra rows consecutive blocks start 20 cache sets further on.
    public static func blockRows(_ rows: Int) -> Int { (rows + 63) / 64 * 64 + 20 }

    /// The offset of element (`row`, `column`).
    public func offset(row: Int, column: Int) -> Int {
        row * rowStride + column / Self.block * blockStride + column % Self.block
    }

    /// The `[rows, columns]` matrix at `p` in this layout, as a row-major array.
    public func gather(_ p: UnsafePointer<Float>, rows: Int, columns: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * columns)
        for r in 0..<rows { for j in 0..<columns { out[r * columns + j] = p[offset(row: r, column: j)] } }
        return out
    }

    /// Writes the row-major `[rows, columns]` matrix `values` to `p` in this layout.
    public func scatter(_ values: [Float], into p: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        precondition(values.count == rows * columns, "\(values.count) values for a \(rows)×\(columns) matrix")
        for r in 0..<rows { for j in 0..<columns { p[offset(row: r, column: j)] = values[r * columns + j] } }
    }

    var c: cnz_layout { cnz_layout(row_stride: rowStride, block_stride: blockStride) }
}

/// Element-wise functions of `Kernels.math`.
public enum KernelMath: Sendable {
    case erf, exp, geluErf, geluTanh

    var c: cnz_math_op {
        switch self {
        case .erf: return CNZ_MATH_ERF
        case .exp: return CNZ_MATH_EXP
        case .geluErf: return CNZ_MATH_GELU_ERF
        case .geluTanh: return CNZ_MATH_GELU_TANH
        }
    }
}

/// One ISA's set of cnzoo's C kernels over float32 NHWC data. `Kernels.active` is the set chosen once at start-up
/// (the best the CPU supports, or `CNZOO_ISA=avx512|avx2|portable`); `Kernels(isa:)` picks one explicitly.
/// The kernels are single-threaded; callers split rows (or GEMM panels) over threads.
public struct Kernels: @unchecked Sendable {
    let table: UnsafePointer<cnz_kernels>

    /// The set chosen at start-up.
    public static let active = Kernels(table: cnz_kernels_active())

    /// Every level this CPU runs, best first.
    public static var supported: [KernelISA] { KernelISA.allCases.reversed().filter(\.isSupported) }

    init(table: UnsafePointer<cnz_kernels>) { self.table = table }

    /// The kernels of `isa`, or nil when this CPU cannot run them.
    public init?(isa: KernelISA) {
        guard let t = cnz_kernels_for(isa.c) else { return nil }
        table = t
    }

    /// This set's instruction-set level.
    public var isa: KernelISA {
        switch table.pointee.isa {
        case CNZ_ISA_AVX512: return .avx512
        case CNZ_ISA_AVX2: return .avx2
        default: return .portable
        }
    }

    /// `c[rows, n] = a[rows, k] · Wᵀ` for output panels `panels` (32 columns each) of a weight packed by
    /// `PackedWeight`, then `epilogue` (its residual laid out like `c`). A and C are row-major unless a layout is
    /// given.
    public func gemm(_ a: UnsafePointer<Float>, _ packed: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                     rows: Int, n: Int, k: Int, panels: Range<Int>, epilogue: KernelEpilogue = .none,
                     aLayout: MatrixLayout? = nil, cLayout: MatrixLayout? = nil) {
        var e = epilogue.c
        cnz_gemm_layout(table, a, (aLayout ?? .rowMajor(columns: k)).c, packed, c, (cLayout ?? .rowMajor(columns: n)).c,
                        Int32(rows), Int32(n), Int32(k), Int32(panels.lowerBound), Int32(panels.upperBound), &e)
    }

    /// Depthwise `kernel`×`kernel` convolution (odd kernel), stride 1, zero "same" padding, of one NHWC image
    /// `[height, width, channels]`; `weight` is `[kernel][kernel][channels]`; output rows `rows` only. The
    /// epilogue's bias is the conv bias; its residual (laid out like `output`) is added last. `output` must not
    /// overlap `input`.
    public func depthwise(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, height: Int, width: Int,
                          channels: Int, kernel: Int, weight: UnsafePointer<Float>, rows: Range<Int>,
                          epilogue: KernelEpilogue) {
        var e = epilogue.c
        cnz_dwconv(table, input, output, Int32(height), Int32(width), Int32(channels), Int32(kernel), weight,
                   Int32(rows.lowerBound), Int32(rows.upperBound), &e)
    }

    /// LayerNorm over the innermost axis of `[rows, channels]` (`y` may alias `x`), biased variance, two passes.
    public func layerNorm(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, channels: Int,
                          weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, eps: Float) {
        cnz_layernorm(table, x, y, Int32(rows), Int32(channels), weight, bias, eps)
    }

    /// `y = epilogue(x)` over `[rows, cols]` (`y` may alias `x` or the residual): bias, activation, BatchNorm,
    /// residual as one pass.
    public func rows(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                     epilogue: KernelEpilogue) {
        var e = epilogue.c
        cnz_rows(table, x, y, Int32(rows), Int32(cols), &e)
    }

    /// Global average pooling of `[batch, positions, channels]` into `[batch, channels]`.
    public func averagePool(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, batch: Int,
                            positions: Int, channels: Int) {
        cnz_avgpool(table, x, out, Int32(batch), Int32(positions), Int32(channels))
    }

    /// `y[i] = op(x[i])` (`y` may alias `x`).
    public func math(_ op: KernelMath, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        cnz_math(table, op.c, x, y, count)
    }

    /// `op` over an array (tests and one-off values).
    public func math(_ op: KernelMath, _ x: [Float]) -> [Float] {
        var y = x
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { math(op, xp.baseAddress!, $0.baseAddress!, count: x.count) }
        }
        return y
    }
}

/// Layout helpers that do not depend on the ISA.
public enum KernelLayout {
    /// Gathers non-overlapping p×p patches of an NCHW batch into rows `[n·(h/p)·(w/p), cin·p·p]` ordered
    /// (channel, ky, kx), so a PyTorch conv weight `[cout, cin, p, p]` is the GEMM weight as it is (a patch conv
    /// is then this gather plus one GEMM).
    public static func patchesNCHW(_ x: UnsafePointer<Float>, _ rows: UnsafeMutablePointer<Float>, batch: Int,
                                   channels: Int, height: Int, width: Int, patch: Int) {
        cnz_patches_nchw(x, rows, Int32(batch), Int32(channels), Int32(height), Int32(width), Int32(patch))
    }

    /// Gathers non-overlapping p×p patches of an NHWC batch into rows `[n·(h/p)·(w/p), p·p·c]` ordered
    /// (ky, kx, channel).
    public static func patchesNHWC(_ x: UnsafePointer<Float>, _ rows: UnsafeMutablePointer<Float>, batch: Int,
                                   height: Int, width: Int, channels: Int, patch: Int) {
        cnz_patches_nhwc(x, rows, Int32(batch), Int32(height), Int32(width), Int32(channels), Int32(patch))
    }

    /// BatchNorm inference folded into a per-channel affine map: `scale = γ/√(var + eps)`, `shift = β − mean·scale`.
    public static func foldBatchNorm(gamma: [Float], beta: [Float], mean: [Float], variance: [Float],
                                     eps: Float) -> (scale: [Float], shift: [Float]) {
        let c = gamma.count
        precondition(beta.count == c && mean.count == c && variance.count == c, "BatchNorm vectors differ in length")
        var scale = [Float](repeating: 0, count: c), shift = [Float](repeating: 0, count: c)
        scale.withUnsafeMutableBufferPointer { s in
            shift.withUnsafeMutableBufferPointer { t in
                cnz_fold_batchnorm(gamma, beta, mean, variance, eps, Int32(c), s.baseAddress!, t.baseAddress!)
            }
        }
        return (scale, shift)
    }
}

extension Kernels: CustomStringConvertible {
    /// The ISA's name (`avx512`, `avx2`, `portable`).
    public var description: String { isa.rawValue }
}
