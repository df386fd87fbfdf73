/// An element type, as an open set keyed by its safetensors spelling (`F32`, `BF16`, ...).
///
/// Every known dtype knows its bit width and whether it is floating point. Its spellings in other formats live in
/// those formats' modules (`torchStorageClass` in CNZooPyTorch, `mindsporeTypeName` in CNZooMindSpore, `numpyDescr`
/// in CNZooNumPy). Unknown spellings can still be carried around by name; operations that need a width refuse them.
public struct DType: RawRepresentable, Hashable, Sendable, CustomStringConvertible, Codable {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let f64 = DType(rawValue: "F64")
    public static let f32 = DType(rawValue: "F32")
    public static let f16 = DType(rawValue: "F16")
    public static let bf16 = DType(rawValue: "BF16")
    public static let i64 = DType(rawValue: "I64")
    public static let i32 = DType(rawValue: "I32")
    public static let i16 = DType(rawValue: "I16")
    public static let i8 = DType(rawValue: "I8")
    public static let u64 = DType(rawValue: "U64")
    public static let u32 = DType(rawValue: "U32")
    public static let u16 = DType(rawValue: "U16")
    public static let u8 = DType(rawValue: "U8")
    public static let bool = DType(rawValue: "BOOL")

    /// The facts cnzoo knows about one dtype.
    public struct Info: Sendable {
        /// Bits per element.
        public let bits: Int
        /// Whether it is a floating-point type.
        public let isFloatingPoint: Bool
    }

    /// Every dtype cnzoo can size, in descending alignment order (the safetensors writer sorts by this).
    public static let known: [(DType, Info)] = [
        (.f64, Info(bits: 64, isFloatingPoint: true)),
        (.i64, Info(bits: 64, isFloatingPoint: false)),
        (.u64, Info(bits: 64, isFloatingPoint: false)),
        (.f32, Info(bits: 32, isFloatingPoint: true)),
        (.i32, Info(bits: 32, isFloatingPoint: false)),
        (.u32, Info(bits: 32, isFloatingPoint: false)),
        (.f16, Info(bits: 16, isFloatingPoint: true)),
        (.bf16, Info(bits: 16, isFloatingPoint: true)),
        (.i16, Info(bits: 16, isFloatingPoint: false)),
        (.u16, Info(bits: 16, isFloatingPoint: false)),
        (.i8, Info(bits: 8, isFloatingPoint: false)),
        (.u8, Info(bits: 8, isFloatingPoint: false)),
        (.bool, Info(bits: 8, isFloatingPoint: false)),
        // 8-bit floats: carried bit-exactly through safetensors.
        (DType(rawValue: "F8_E5M2"), Info(bits: 8, isFloatingPoint: true)),
        (DType(rawValue: "F8_E4M3"), Info(bits: 8, isFloatingPoint: true)),
        (DType(rawValue: "F8_E4M3FNUZ"), Info(bits: 8, isFloatingPoint: true)),
        (DType(rawValue: "F8_E5M2FNUZ"), Info(bits: 8, isFloatingPoint: true)),
        (DType(rawValue: "F8_E8M0"), Info(bits: 8, isFloatingPoint: true)),
    ]

    private static let table: [DType: Info] = Dictionary(uniqueKeysWithValues: known.map { ($0.0, $0.1) })

    /// Facts about this dtype, or nil for a spelling cnzoo does not know.
    public var info: Info? { DType.table[self] }
    /// Whether cnzoo knows this dtype's width.
    public var isKnown: Bool { info != nil }
    /// Bits per element (nil when unknown).
    public var bitWidth: Int? { info?.bits }
    /// Bytes per element (nil when unknown).
    public var byteWidth: Int? { info.map { $0.bits / 8 } }
    /// The safetensors spelling (the raw value).
    public var safetensorsName: String { rawValue }
    /// Whether this is a floating-point type.
    public var isFloatingPoint: Bool { info?.isFloatingPoint ?? false }
    /// Sort rank by descending alignment (the safetensors reference writer's order); unknown dtypes sort last.
    public var alignmentRank: Int { DType.known.firstIndex { $0.0 == self } ?? DType.known.count }

    public var description: String { rawValue }

    public init(from decoder: Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// One format's names for dtypes (torch storage classes, MindSpore `tensor_type`s, `.npy` descrs): a two-way table
/// that the format's module keeps, so Core knows no format's spellings.
public struct DTypeSpellings: Sendable {
    /// The pairs, in the order given.
    public let pairs: [(dtype: DType, name: String)]

    /// A table of `(dtype, name)` pairs; the first pair wins when a dtype or a name appears twice.
    public init(_ pairs: [(DType, String)]) { self.pairs = pairs.map { (dtype: $0.0, name: $0.1) } }

    /// The format's name for `dtype`, nil if it has none.
    public func name(of dtype: DType) -> String? { pairs.first { $0.dtype == dtype }?.name }

    /// The dtype the format spells `name`, nil if none.
    public func dtype(named name: String) -> DType? { pairs.first { $0.name == name }?.dtype }
}
