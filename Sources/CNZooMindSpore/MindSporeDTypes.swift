import CNZooCore

extension DType {
    /// MindSpore's `tensor_type` string for each dtype it stores.
    public static let mindsporeTypeNames = DTypeSpellings([
        (.f64, "Float64"), (.i64, "Int64"), (.u64, "UInt64"), (.f32, "Float32"), (.i32, "Int32"), (.u32, "UInt32"),
        (.f16, "Float16"), (.bf16, "BFloat16"), (.i16, "Int16"), (.u16, "UInt16"), (.i8, "Int8"), (.u8, "UInt8"),
        (.bool, "Bool"),
    ])

    /// MindSpore's `tensor_type` string (`Float32`), nil if MindSpore has none for it.
    public var mindsporeTypeName: String? { DType.mindsporeTypeNames.name(of: self) }

    /// The dtype whose MindSpore `tensor_type` is `name` (`Float32` → F32).
    public init?(mindsporeTypeName name: String) {
        guard let d = DType.mindsporeTypeNames.dtype(named: name) else { return nil }
        self = d
    }
}
