import CNZooCore
import CNZooMapping
import CNZooModels

/// SplitMix64 (Steele, Lea & Flood, 2014), producing float32 values in [-1, 1).
///
/// `next()`: `state &+= 0x9E3779B97F4A7C15; z = state; z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9;
/// z = (z ^ (z >> 27)) &* 0x94D049BB133111EB; return z ^ (z >> 31)`. A value is `((next() >> 40) - 2^23) · 2^-23`,
/// exact in float32. `Fixtures/generate_forward.py` implements the same stream with NumPy; docs/verify.md
/// documents both.
public struct SplitMix64Stream {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The increment γ added to the state per draw.
    public static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// The next raw 64-bit output.
    @inline(__always) public mutating func next() -> UInt64 {
        state &+= SplitMix64Stream.gamma
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next value in [-1, 1) on a 2^-23 grid.
    @inline(__always) public mutating func nextSymmetric() -> Float {
        Float(Int32(truncatingIfNeeded: next() >> 40) - (1 << 23)) * 0x1p-23
    }

    /// `count` values in [-1, 1).
    public mutating func values(_ count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        for i in 0..<count { out[i] = nextSymmetric() }
        return out
    }
}

/// Deterministic ConvNeXt and ConvMixer weights and inputs from a seed, reproducible in NumPy
/// (Fixtures/generate_forward.py, Fixtures/generate_convmixer.py).
///
/// One SplitMix64 stream seeded with `seed` runs through the canonical tensors in canonical order, row-major.
/// Each value `v ∈ [-1, 1)` is scaled by role in float32 (one multiply, then one add):
/// conv/linear weights `v · (1/√fan_in)`, biases `v · 0.1`, LayerNorm weights `v · 0.1 + 1`, LayerNorm biases
/// `v · 0.1`, layer scale `v · 0.2 + 0.3` (so every block contributes visibly); BatchNorm weights `v · 0.1 + 1`,
/// biases `v · 0.1`, running means `v · 0.1 + 0.2`, running variances `v · 0.1 + 0.3` (non-trivial statistics, so a
/// skipped BatchNorm or a wrong eps shows, and full-size logits stay O(1) and input-dependent). Inputs come from a second stream seeded with `seed + 1`, NCHW, each value `v · 2`.
public enum DeterministicWeights {
    /// The weights of `config` as a canonical-named float32 checkpoint.
    public static func checkpoint(_ config: ConvNeXtSpec, seed: UInt64) -> Checkpoint {
        generate(config.parameters().map { p in
            let name = p.name
            if name.hasSuffix("layer_scale") { return (p, 0.2, 0.3) }
            if name.hasSuffix("norm.weight") { return (p, 0.1, 1) }
            if name.hasSuffix(".bias") { return (p, 0.1, 0) }
            return (p, fanInScale(p.shape), 0)
        }, seed: seed)
    }

    /// The weights of a ConvNeXt or ConvMixer spec (other families have no generator).
    public static func checkpoint(_ spec: any ArchitectureSpec, seed: UInt64) throws -> Checkpoint {
        if let s = spec as? ConvNeXtSpec { return checkpoint(s, seed: seed) }
        if let s = spec as? ConvMixerSpec { return checkpoint(s, seed: seed) }
        throw CNZooError(.unsupported, "no deterministic weights for \(spec.summary)")
    }

    /// The weights of a ConvMixer as a canonical-named float32 checkpoint (no `num_batches_tracked`).
    public static func checkpoint(_ config: ConvMixerSpec, seed: UInt64) -> Checkpoint {
        generate(config.parameters().map { p in
            switch p.role {
            case .bnWeight: return (p, 0.1, 1)
            case .bnRunningMean: return (p, 0.1, 0.2)
            case .bnRunningVar: return (p, 0.1, 0.3)
            case .bnBias, .convBias, .linearBias, .normBias: return (p, 0.1, 0)
            default: return (p, fanInScale(p.shape), 0)
            }
        }, seed: seed)
    }

    static func fanInScale(_ shape: [Int]) -> Float {
        Float(1.0 / Double(shape.dropFirst().reduce(1, *)).squareRoot())
    }

    /// Runs one stream through `parameters` in order, each value `v · scale + shift`. Each tensor's bytes are made on
    /// demand (a computed source) from the stream's state at the tensor's first value — SplitMix64's state after `k`
    /// draws is `seed + k · γ` — so no copy of the weights is held: `verify --variant` keeps only the model's own.
    static func generate(_ parameters: [(ParameterSpec, scale: Float, shift: Float)], seed: UInt64) -> Checkpoint {
        var drawn: UInt64 = 0
        var tensors: [TensorEntry] = []
        for (p, scale, shift) in parameters {
            let count = p.shape.reduce(1, *)
            let start = seed &+ drawn &* SplitMix64Stream.gamma
            let data = TensorData(.computed {
                var stream = SplitMix64Stream(seed: start)
                var values = stream.values(count)
                for i in values.indices {
                    let scaled = values[i] * scale
                    values[i] = scaled + shift
                }
                return littleEndianBytes(values)
            }, byteCount: count * 4)
            tensors.append(TensorEntry(name: p.name, dtype: .f32, shape: p.shape, data: data))
            drawn &+= UInt64(count)
        }
        return Checkpoint(tensors: tensors, notes: ["deterministic weights, SplitMix64 seed \(seed)"])
    }

    /// `batch` NCHW inputs of `channels × height × width` from the stream seeded with `seed + 1`.
    public static func inputs(batch: Int, channels: Int = 3, height: Int, width: Int, seed: UInt64) -> [Float] {
        var stream = SplitMix64Stream(seed: seed &+ 1)
        var x = stream.values(batch * channels * height * width)
        for i in 0..<x.count { x[i] *= 2 }
        return x
    }

    /// The raw little-endian bytes of float32 values.
    public static func littleEndianBytes(_ values: [Float]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: values.count * 4)
        bytes.withUnsafeMutableBytes { raw in
            for (i, v) in values.enumerated() {
                raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
            }
        }
        return bytes
    }
}
