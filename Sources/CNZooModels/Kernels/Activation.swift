import CNZooCore

/// Vectorised erf, exp and the two GELU forms.
///
/// erf uses a rational approximation in float32 (odd numerator of degree 13 over an even denominator of degree 8
/// on [-4, 4]; the form of Eigen/XLA's float erf), max abs error ≈ 3.5e-7 against a double erf. exp uses the
/// classic range reduction `x = n·ln2 + r` with a degree-6 polynomial for `e^r` (Cephes expf coefficients)
/// and builds `2^n` from exponent bits; max relative error ≈ 1.2e-7.
public enum Activation {
    // erf numerator (odd) and denominator (even) coefficients.
    static let a13: Float = -2.72614225801306e-10
    static let a11: Float = 2.77068142495902e-08
    static let a9: Float = -2.10102402082508e-06
    static let a7: Float = -5.69250639462346e-05
    static let a5: Float = -7.34990630326855e-04
    static let a3: Float = -2.95459980854025e-03
    static let a1: Float = -1.60960333262415e-02
    static let b8: Float = -1.45660718464996e-05
    static let b6: Float = -2.13374055278905e-04
    static let b4: Float = -1.68282697438203e-03
    static let b2: Float = -7.37332916720468e-03
    static let b0: Float = -1.42647390514189e-02

    /// erf on 16 lanes.
    @inline(__always) public static func erf(_ v: SIMD16<Float>) -> SIMD16<Float> {
        let x = clamp16(v, -4, 4)
        let x2 = x * x
        var p = x2 * a13 + a11
        p = p * x2 + a9
        p = p * x2 + a7
        p = p * x2 + a5
        p = p * x2 + a3
        p = p * x2 + a1
        p = p * x
        var q = x2 * b8 + b6
        q = q * x2 + b4
        q = q * x2 + b2
        q = q * x2 + b0
        return p / q
    }

    /// erf of one value: the vector form on a splat (used only for row tails shorter than 16 lanes).
    @inline(__always) public static func erf(_ v: Float) -> Float { erf(SIMD16<Float>(repeating: v))[0] }

    /// e^x on 16 lanes (inputs clamped to [-87.3, 88.3], so no overflow to inf and no denormal results).
    @inline(__always) public static func exp(_ v: SIMD16<Float>) -> SIMD16<Float> {
        let x = clamp16(v, -87.3, 88.3)
        // Round x·log2(e) to the nearest integer with the 1.5·2^23 trick; its low mantissa bits hold n.
        let magic: Float = 12582912
        let t = x * Float(1.44269504088896341) + magic
        let n = t - magic
        var r = x - n * Float(0.693359375)
        r = r + n * Float(2.12194440e-4)
        var p = r * Float(1.9875691500e-4) + Float(1.3981999507e-3)
        p = p * r + Float(8.3334519073e-3)
        p = p * r + Float(4.1665795894e-2)
        p = p * r + Float(1.6666665459e-1)
        p = p * r + Float(5.0000001201e-1)
        let er = p * (r * r) + r + 1
        let bits = unsafeBitCast(t, to: SIMD16<UInt32>.self) &- magic.bitPattern &+ 127
        let scale = unsafeBitCast(bits &<< 23, to: SIMD16<Float>.self)
        return er * scale
    }

    /// e^x of one value through the vector form.
    @inline(__always) public static func exp(_ v: Float) -> Float {
        exp(SIMD16<Float>(repeating: v))[0]
    }

    static let invSqrt2: Float = 0.70710678118654752
    static let sqrt2OverPi: Float = 0.79788456080286536

    /// Exact-form GELU on 16 lanes.
    @inline(__always) public static func geluErf(_ x: SIMD16<Float>) -> SIMD16<Float> {
        (x * 0.5) * (erf(x * invSqrt2) + 1)
    }

    /// tanh-form GELU on 16 lanes, computed as `x / (1 + e^(-2u))`, which equals `0.5·x·(1 + tanh(u))`.
    @inline(__always) public static func geluTanh(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let u = sqrt2OverPi * (x + Float(0.044715) * x * x * x)
        return x / (exp(u * -2) + 1)
    }

    /// GELU of one value.
    @inline(__always) public static func gelu(_ x: Float, _ form: Numerics.GELU) -> Float {
        switch form {
        case .erf: return 0.5 * x * (1 + erf(x * invSqrt2))
        case .tanh:
            let u = sqrt2OverPi * (x + 0.044715 * x * x * x)
            return x / (exp(-2 * u) + 1)
        }
    }

    /// `h[r, j] = gelu(h[r, j] + bias[j])` over a row-major `[rows, cols]` buffer.
    public static func biasGELU(_ h: UnsafeMutablePointer<Float>, rows: Int, cols: Int, bias: UnsafePointer<Float>,
                                form: Numerics.GELU) {
        let c16 = cols / 16 * 16
        switch form {
        case .erf:
            for r in 0..<rows {
                let row = h + r * cols
                var j = 0
                while j < c16 { store16(row + j, geluErf(load16(row + j) + load16(bias + j))); j += 16 }
                while j < cols { row[j] = gelu(row[j] + bias[j], .erf); j += 1 }
            }
        case .tanh:
            for r in 0..<rows {
                let row = h + r * cols
                var j = 0
                while j < c16 { store16(row + j, geluTanh(load16(row + j) + load16(bias + j))); j += 16 }
                while j < cols { row[j] = gelu(row[j] + bias[j], .tanh); j += 1 }
            }
        }
    }
}
