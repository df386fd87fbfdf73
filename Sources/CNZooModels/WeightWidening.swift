import CNZooCore
import CNZooKernelsC

/// Reads a tensor's values as `Float`, widening f16 and bf16 exactly and rounding f64.
public enum WeightWidening {
    /// The values of `entry` in C order.
    public static func floats(_ entry: TensorEntry) throws -> [Float] {
        guard let n = Checked.elementCount(entry.shape) else {
            throw CNZooError(.malformed, "invalid shape \(entry.shape)", tensor: entry.name)
        }
        let type = try sourceType(entry, count: n)
        var out = [Float](repeating: 0, count: n)
        try out.withUnsafeMutableBufferPointer { dst in
            try entry.data.withContiguousBytes { raw in
                if n > 0 { cnz_widen(raw.baseAddress!, type, n, dst.baseAddress!) }
            }
        }
        return out
    }

    /// The C kernels' name for `entry`'s element type, after checking it is a float type the forward pass reads and
    /// that the tensor holds exactly `count` values.
    static func sourceType(_ entry: TensorEntry, count n: Int) throws -> cnz_source_type {
        let types: [DType: cnz_source_type] = [.f32: CNZ_SRC_F32, .f16: CNZ_SRC_F16, .bf16: CNZ_SRC_BF16, .f64: CNZ_SRC_F64]
        guard let type = types[entry.dtype], let width = entry.dtype.byteWidth else {
            throw CNZooError(.unsupported, "the forward pass reads F32, F16, BF16 or F64 weights, found \(entry.dtype)",
                             tensor: entry.name)
        }
        guard entry.data.byteCount == n * width else {
            throw CNZooError(.malformed, "holds \(entry.data.byteCount) bytes, expected \(n * width)", tensor: entry.name)
        }
        return type
    }

    /// IEEE binary16 → binary32, exact (normals, subnormals, ±0, ±inf, NaN payloads kept in the top bits).
    public static func halfToFloat(_ h: UInt16) -> Float {
        var bits = h.littleEndian
        var f: Float = 0
        cnz_widen(&bits, CNZ_SRC_F16, 1, &f)
        return f
    }
}
