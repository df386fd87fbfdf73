/// One named tensor in a checkpoint: dtype, shape, and a lazy byte source.
public struct TensorEntry: Sendable {
    public var name: String
    public var dtype: DType
    /// Dimensions, outermost first; `[]` is a 0-d scalar.
    public var shape: [Int]
    public var data: TensorData

    public init(name: String, dtype: DType, shape: [Int], data: TensorData) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }

    /// The number of elements (1 for a scalar, 0 for a zero-size tensor); 0 if the shape is invalid.
    public var elementCount: Int { Checked.elementCount(shape) ?? 0 }
    /// The byte size of the data.
    public var byteCount: Int { data.byteCount }
}
