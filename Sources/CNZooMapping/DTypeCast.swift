import CNZooCore
import CNZooKernelsC

/// Floating-point dtype changes with IEEE round-to-nearest-even, written out bit by bit (no reliance on the
/// platform's `Float16`): every value goes source bits → exact `Double` → target bits, so each conversion rounds
/// exactly once. NaN keeps its sign and the top payload bits and stays quiet; overflow gives ±Inf; values below
/// the target's range go through its subnormals to ±0. Bulk f32 ⇄ f16 runs on the CPU's F16C instructions where it
/// has them (`cnz_f32_to_f16_prefix`), and f32 ⇄ f16 / f32 → bf16 otherwise on integer fast paths — all with the same
/// bits as this definition.
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
        guard let fi = format(from), let fo = format(to), let src = bytes.baseAddress else { return [] }
        let inWidth = fi.width / 8, outWidth = fo.width / 8
        let n = bytes.count / inWidth
        var out = [UInt8](repeating: 0, count: n * outWidth)
        out.withUnsafeMutableBytes { dst in
            guard let d = dst.baseAddress else { return }
            if from == .f32 && to == .bf16 {
                for i in 0..<n {
                    let bits = src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian
                    d.storeBytes(of: f32ToBF16(bits).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                }
                return
            }
            if from == .f32 && to == .f16 {
                for i in cnz_f32_to_f16_prefix(src, d, n)..<n {
                    let bits = src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian
                    d.storeBytes(of: f32ToF16(bits).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                }
                return
            }
            if from == .f16 && to == .f32 {
                for i in cnz_f16_to_f32_prefix(src, d, n)..<n {
                    let bits = src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian
                    d.storeBytes(of: f16ToF32(bits).littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                }
                return
            }
            if from == .bf16 && to == .f32 {
                for i in 0..<n {
                    let bits = src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian
                    d.storeBytes(of: (UInt32(bits) << 16).littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                }
                return
            }
            for i in 0..<n {
                let bits: UInt64
                switch inWidth {
                case 2: bits = UInt64(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian)
                case 4: bits = UInt64(src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian)
                default: bits = src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self).littleEndian
                }
                let o = fromDouble(toDouble(bits, from: from), to: to)
                switch outWidth {
                case 2: d.storeBytes(of: UInt16(truncatingIfNeeded: o).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                case 4: d.storeBytes(of: UInt32(truncatingIfNeeded: o).littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                default: d.storeBytes(of: o.littleEndian, toByteOffset: 8 * i, as: UInt64.self)
                }
            }
        }
        return out
    }

    /// f32 → bf16 round-to-nearest-even on the bits (bf16 is the top half of f32, same exponent range): add
    /// 0x7FFF plus the lowest kept bit, keep the top 16 bits. Carries roll into the exponent (up to ±Inf) exactly as
    /// rounding requires. NaN is kept quiet with its sign and top payload bits. Equal to `fromDouble` on every input.
    @inline(__always)
    static func f32ToBF16(_ bits: UInt32) -> UInt16 {
        if bits & 0x7FFF_FFFF > 0x7F80_0000 { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    /// f32 → f16 round-to-nearest-even on 32-bit integers: `fromDouble(toDouble(bits))` specialised to these two
    /// formats (same branches, no Double), about as cheap per element as `f32ToBF16` instead of ~10× dearer.
    @inline(__always)
    static func f32ToF16(_ bits: UInt32) -> UInt16 {
        let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
        let e = Int((bits >> 23) & 0xFF)
        let m = bits & 0x7F_FFFF
        if e == 0xFF { return m == 0 ? sign | 0x7C00 : sign | 0x7C00 | UInt16(truncatingIfNeeded: m >> 13) | 0x0200 }
        if e == 0 { return sign }  // f32 zeros and subnormals (< 2^-126) are far below f16's smallest subnormal / 2
        let significand = m | 0x80_0000
        var exponent = e - 127 + 15
        if exponent >= 1 {
            var q = roundShift32(significand, 13)
            if q >> 11 != 0 { q >>= 1; exponent += 1 }
            if exponent >= 31 { return sign | 0x7C00 }
            return sign | UInt16(exponent) << 10 | UInt16(truncatingIfNeeded: q & 0x3FF)
        }
        let shift = 13 + (1 - exponent)
        if shift > 24 { return sign }  // below half the smallest subnormal
        // A carry out of the subnormal range lands exactly on the smallest normal's bit pattern.
        return sign | UInt16(truncatingIfNeeded: roundShift32(significand, shift))
    }

    /// f16 → f32 (exact): subnormals are normalised, NaN stays NaN with its payload and is made quiet (as
    /// `fromDouble(toDouble(bits))` does).
    @inline(__always)
    static func f16ToF32(_ bits: UInt16) -> UInt32 {
        let sign = UInt32(bits & 0x8000) << 16
        let e = UInt32(bits >> 10) & 0x1F
        var m = UInt32(bits & 0x3FF)
        if e == 0x1F { return sign | 0x7F80_0000 | m << 13 | (m != 0 ? 0x40_0000 : 0) }
        if e != 0 { return sign | (e + 112) << 23 | m << 13 }
        if m == 0 { return sign }
        var exponent: UInt32 = 113
        while m & 0x400 == 0 { m <<= 1; exponent -= 1 }
        return sign | exponent << 23 | (m & 0x3FF) << 13
    }

    /// `x >> s` rounded to nearest, ties to even (1 ≤ s ≤ 31).
    @inline(__always)
    static func roundShift32(_ x: UInt32, _ s: Int) -> UInt32 {
        let q = x >> UInt32(s)
        let r = x & ((1 << UInt32(s)) - 1)
        let half: UInt32 = 1 << UInt32(s - 1)
        return (r > half || (r == half && q & 1 == 1)) ? q + 1 : q
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
