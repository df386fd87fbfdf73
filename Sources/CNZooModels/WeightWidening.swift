import CNZooCore

/// Reads a tensor's values as `Float`, widening f16 and bf16 exactly and rounding f64.
public enum WeightWidening {
    /// The values of `entry` in C order.
    public static func floats(_ entry: TensorEntry) throws -> [Float] {
        guard let n = Checked.elementCount(entry.shape) else {
            throw CNZooError(.malformed, "invalid shape \(entry.shape)", tensor: entry.name)
        }
        guard let width = entry.dtype.byteWidth, entry.dtype.isFloatingPoint,
              [DType.f32, .f16, .bf16, .f64].contains(entry.dtype) else {
            throw CNZooError(.unsupported, "the forward pass reads F32, F16, BF16 or F64 weights, found \(entry.dtype)",
                             tensor: entry.name)
        }
        guard entry.data.byteCount == n * width else {
            throw CNZooError(.malformed, "holds \(entry.data.byteCount) bytes, expected \(n * width)", tensor: entry.name)
        }
        var out = [Float](repeating: 0, count: n)
        try out.withUnsafeMutableBufferPointer { dst in
            try entry.data.withContiguousBytes { raw in
                switch entry.dtype {
                case .f32:
                    for i in 0..<n {
                        dst[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    }
                case .bf16:
                    // bfloat16 is the top half of a float32.
                    for i in 0..<n {
                        let b = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                        dst[i] = Float(bitPattern: UInt32(b) << 16)
                    }
                case .f16:
                    for i in 0..<n {
                        dst[i] = halfToFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                    }
                default:
                    for i in 0..<n {
                        dst[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                    }
                }
            }
        }
        return out
    }

    /// IEEE binary16 → binary32, exact (normals, subnormals, ±0, ±inf, NaN payloads kept in the top bits).
    @inline(__always) public static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = UInt32(h >> 10) & 0x1F
        var mant = UInt32(h & 0x3FF)
        if exp == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13)) }
        if exp != 0 { return Float(bitPattern: sign | ((exp + 112) << 23) | (mant << 13)) }
        if mant == 0 { return Float(bitPattern: sign) }
        // Subnormal: normalise the mantissa.
        var e: UInt32 = 113
        while mant & 0x400 == 0 { mant <<= 1; e -= 1 }
        return Float(bitPattern: sign | (e << 23) | ((mant & 0x3FF) << 13))
    }
}
