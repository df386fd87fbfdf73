import CNZooCore

/// One `.npy` array: its dtype, shape (C order) and raw little-endian bytes.
public struct NumPyArray: Sendable {
    public var dtype: DType
    /// Dimensions, outermost first; `[]` is a 0-d scalar.
    public var shape: [Int]
    /// Exactly `elementCount × dtype width` little-endian, row-major bytes.
    public var data: TensorData

    public init(dtype: DType, shape: [Int], data: TensorData) {
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }

    /// A float32 array from values (which must hold `shape`'s element count).
    public init(shape: [Int], float32 values: [Float]) {
        var bytes = [UInt8](repeating: 0, count: values.count * 4)
        bytes.withUnsafeMutableBytes { raw in
            for (i, v) in values.enumerated() { raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
        }
        self.init(dtype: .f32, shape: shape, data: .bytes(bytes))
    }

    /// The number of elements.
    public var elementCount: Int { Checked.elementCount(shape) ?? 0 }

    /// The values as `Float`, widening f16 / f64 (rounded) — refusing any other dtype.
    public func floats() throws -> [Float] {
        let n = elementCount
        var out = [Float](repeating: 0, count: n)
        try data.withContiguousBytes { raw in
            switch dtype {
            case .f32:
                for i in 0..<n { out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            case .f64:
                for i in 0..<n { out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
            case .f16:
                for i in 0..<n { out[i] = Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))) }
            default:
                throw CNZooError(.unsupported, "expected a floating-point array (<f4, <f8 or <f2), found \(dtype.numpyDescr ?? dtype.rawValue)")
            }
        }
        return out
    }
}
