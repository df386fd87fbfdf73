import CNZooCore

extension DType {
    /// The legacy torch typed-storage class of each dtype torch pickles by class (8-bit floats and unsigned types
    /// wider than a byte go through `UntypedStorage` only).
    public static let torchStorageClasses = DTypeSpellings([
        (.f64, "DoubleStorage"), (.i64, "LongStorage"), (.f32, "FloatStorage"), (.i32, "IntStorage"),
        (.f16, "HalfStorage"), (.bf16, "BFloat16Storage"), (.i16, "ShortStorage"), (.i8, "CharStorage"),
        (.u8, "ByteStorage"), (.bool, "BoolStorage"),
    ])

    /// The legacy torch typed-storage class name (`FloatStorage`), nil if torch has none for it.
    public var torchStorageClass: String? { DType.torchStorageClasses.name(of: self) }

    /// The dtype whose torch storage class is `name` (`FloatStorage` → F32).
    public init?(torchStorageClass name: String) {
        guard let d = DType.torchStorageClasses.dtype(named: name) else { return nil }
        self = d
    }
}
