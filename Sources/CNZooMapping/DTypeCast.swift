import CNZooCore

/// Floating-point dtype changes with IEEE round-to-nearest-even, written out bit by bit (no reliance on the
/// platform's `Float16`): every value goes source bits → exact `Double` → target bits, so each conversion rounds
/// exactly once. NaN keeps its sign and the top payload bits and stays quiet; overflow gives ±Inf; values below
/// the target's range go through its subnormals to ±0.
public enum DTypeCast {
    /// An IEEE binary format: exponent and stored-mantissa widths.
    struct Format {
        let exponentBits: Int
        let mantissaBits: Int
        var bias: Int { (1 << (exponentBits - 1)) - 1 }
        var exponentMax: UInt64 { (1 << UInt64(exponentBits)) - 1 }
        var width: Int { 1 + exponentBits + mantissaBits }
    }

    static func format(_ d: DType) -> Format? {
        switch d {
        case .f64: return Format(exponentBits: 11, mantissaBits: 52)
        case .f32: return Format(exponentBits: 8, mantissaBits: 23)
        case .f16: return Format(exponentBits: 5, mantissaBits: 10)
        case .bf16: return Format(exponentBits: 8, mantissaBits: 7)
        default: return nil
        }
    }

    /// Whether cnzoo can convert between `from` and `to` (F64, F32, F16, BF16).
    public static func canConvert(from: DType, to: DType) -> Bool { format(from) != nil && format(to) != nil }

    /// The value of `bits` in `dtype` as a Double (exact for every supported dtype).
    public static func toDouble(_ bits: UInt64, from dtype: DType) -> Double {
        guard let f = format(dtype) else { return .nan }
        if dtype == .f64 { return Double(bitPattern: bits) }
        let sign = (bits >> UInt64(f.width - 1)) & 1
        let e = (bits >> UInt64(f.mantissaBits)) & f.exponentMax
        let m = bits & ((1 << UInt64(f.mantissaBits)) - 1)
        let shift = UInt64(52 - f.mantissaBits)
        if e == f.exponentMax { return Double(bitPattern: sign << 63 | 0x7FF << 52 | m << shift) }
        if e == 0 {
            // Subnormal: m · 2^(1 − bias − mantissaBits), exact in Double.
            let v = Double(m) * Double(sign: .plus, exponent: 1 - f.bias - f.mantissaBits, significand: 1)
            return sign == 1 ? -v : v
        }
        let de = UInt64(Int(e) - f.bias + 1023)
        return Double(bitPattern: sign << 63 | de << 52 | m << shift)
    }

    /// `d` rounded to nearest-even in `dtype`, as that dtype's bit pattern.
    public static func fromDouble(_ d: Double, to dtype: DType) -> UInt64 {
        guard let f = format(dtype) else { return 0 }
        if dtype == .f64 { return d.bitPattern }
        let b = d.bitPattern
        let sign = (b >> 63) << UInt64(f.width - 1)
        let e = Int((b >> 52) & 0x7FF)
        let m = b & ((1 << 52) - 1)
        let mant = UInt64(f.mantissaBits)
        if e == 0x7FF {
            if m == 0 { return sign | f.exponentMax << mant }
            return sign | f.exponentMax << mant | (m >> (52 - mant)) | (1 << (mant - 1))
        }
        // Double zeros and subnormals (< 2^-1022) are far below half the smallest subnormal of every target.
        if e == 0 { return sign }
        let significand = m | (1 << 52)
        var exponent = e - 1023 + f.bias
        if exponent >= 1 {
            var q = roundShift(significand, 52 - f.mantissaBits)
            if q >> (mant + 1) != 0 { q >>= 1; exponent += 1 }
            if UInt64(exponent) >= f.exponentMax { return sign | f.exponentMax << mant }
            return sign | UInt64(exponent) << mant | (q & ((1 << mant) - 1))
        }
        let shift = 52 - f.mantissaBits + (1 - exponent)
        if shift > 53 { return sign }
        // A carry out of the subnormal range lands exactly on the smallest normal's bit pattern.
        return sign | roundShift(significand, shift)
    }

    /// `x >> s` rounded to nearest, ties to even (1 ≤ s ≤ 63).
    static func roundShift(_ x: UInt64, _ s: Int) -> UInt64 {
        let q = x >> UInt64(s)
        let r = x & ((1 << UInt64(s)) - 1)
        let half: UInt64 = 1 << UInt64(s - 1)
        return (r > half || (r == half && q & 1 == 1)) ? q + 1 : q
    }

    /// Converts little-endian `bytes` of `from` elements into `to` elements.
    public static func convert(_ bytes: UnsafeRawBufferPointer, from: DType, to: DType) -> [UInt8] {
        guard let fi = format(from), let fo = format(to) else { return [] }
        let inWidth = fi.width / 8, outWidth = fo.width / 8
        let n = bytes.count / inWidth
        var out = [UInt8](repeating: 0, count: n * outWidth)
        out.withUnsafeMutableBytes { dst in
            for i in 0..<n {
                var bits: UInt64 = 0
                for k in 0..<inWidth { bits |= UInt64(bytes[i * inWidth + k]) << UInt64(8 * k) }
                let o = fromDouble(toDouble(bits, from: from), to: to)
                for k in 0..<outWidth { dst[i * outWidth + k] = UInt8(truncatingIfNeeded: o >> UInt64(8 * k)) }
            }
        }
        return out
    }

    /// `tensor` with its data converted lazily to `to` (floating tensors only; others are returned unchanged, as
    /// are tensors already of dtype `to`).
    public static func cast(_ tensor: TensorEntry, to: DType) -> TensorEntry {
        guard tensor.dtype != to, canConvert(from: tensor.dtype, to: to), let outBytes = to.byteWidth else { return tensor }
        let source = tensor.data
        let from = tensor.dtype
        let data = TensorData(.computed({ try source.withContiguousBytes { convert($0, from: from, to: to) } }),
                              byteCount: tensor.elementCount * outBytes)
        return TensorEntry(name: tensor.name, dtype: to, shape: tensor.shape, data: data)
    }
}
