/// An element type, as an open set keyed by its safetensors spelling (`F32`, `BF16`, ...).
///
/// Every known dtype knows its bit width and its spelling in the other formats cnzoo speaks: the legacy torch typed
/// storage class (`FloatStorage`), MindSpore's `tensor_type` string (`Float32`) and the NumPy `.npy` descriptor
/// (`<f4`). Unknown spellings can still be carried around by name; operations that need a width refuse them.
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
        public let bits: Int
        public let torchStorage: String?
        public let mindspore: String?
        public let numpy: String?
        public let isFloatingPoint: Bool
    }

    /// Every dtype cnzoo can size, in descending alignment order (the safetensors writer sorts by this).
    public static let known: [(DType, Info)] = [
        (.f64, Info(bits: 64, torchStorage: "DoubleStorage", mindspore: "Float64", numpy: "<f8", isFloatingPoint: true)),
        (.i64, Info(bits: 64, torchStorage: "LongStorage", mindspore: "Int64", numpy: "<i8", isFloatingPoint: false)),
        (.u64, Info(bits: 64, torchStorage: nil, mindspore: "UInt64", numpy: "<u8", isFloatingPoint: false)),
        (.f32, Info(bits: 32, torchStorage: "FloatStorage", mindspore: "Float32", numpy: "<f4", isFloatingPoint: true)),
        (.i32, Info(bits: 32, torchStorage: "IntStorage", mindspore: "Int32", numpy: "<i4", isFloatingPoint: false)),
        (.u32, Info(bits: 32, torchStorage: nil, mindspore: "UInt32", numpy: "<u4", isFloatingPoint: false)),
        (.f16, Info(bits: 16, torchStorage: "HalfStorage", mindspore: "Float16", numpy: "<f2", isFloatingPoint: true)),
        (.bf16, Info(bits: 16, torchStorage: "BFloat16Storage", mindspore: "BFloat16", numpy: nil, isFloatingPoint: true)),
        (.i16, Info(bits: 16, torchStorage: "ShortStorage", mindspore: "Int16", numpy: "<i2", isFloatingPoint: false)),
        (.u16, Info(bits: 16, torchStorage: nil, mindspore: "UInt16", numpy: "<u2", isFloatingPoint: false)),
        (.i8, Info(bits: 8, torchStorage: "CharStorage", mindspore: "Int8", numpy: "|i1", isFloatingPoint: false)),
        (.u8, Info(bits: 8, torchStorage: "ByteStorage", mindspore: "UInt8", numpy: "|u1", isFloatingPoint: false)),
        (.bool, Info(bits: 8, torchStorage: "BoolStorage", mindspore: "Bool", numpy: "|b1", isFloatingPoint: false)),
        // 8-bit floats: carried bit-exactly through safetensors; torch saves them via UntypedStorage only.
        (DType(rawValue: "F8_E5M2"), Info(bits: 8, torchStorage: nil, mindspore: nil, numpy: nil, isFloatingPoint: true)),
        (DType(rawValue: "F8_E4M3"), Info(bits: 8, torchStorage: nil, mindspore: nil, numpy: nil, isFloatingPoint: true)),
        (DType(rawValue: "F8_E4M3FNUZ"), Info(bits: 8, torchStorage: nil, mindspore: nil, numpy: nil, isFloatingPoint: true)),
        (DType(rawValue: "F8_E5M2FNUZ"), Info(bits: 8, torchStorage: nil, mindspore: nil, numpy: nil, isFloatingPoint: true)),
        (DType(rawValue: "F8_E8M0"), Info(bits: 8, torchStorage: nil, mindspore: nil, numpy: nil, isFloatingPoint: true)),
    ]

    private static let table: [DType: Info] = Dictionary(uniqueKeysWithValues: known.map { ($0.0, $0.1) })

    /// Facts about this dtype, or nil for a spelling cnzoo does not know.
    public var info: Info? { DType.table[self] }
    /// Whether cnzoo knows this dtype's width and spellings.
    public var isKnown: Bool { info != nil }
    /// Bits per element (nil when unknown).
    public var bitWidth: Int? { info?.bits }
    /// Bytes per element (nil when unknown).
    public var byteWidth: Int? { info.map { $0.bits / 8 } }
    /// The safetensors spelling (the raw value).
    public var safetensorsName: String { rawValue }
    /// The legacy torch typed-storage class name (`FloatStorage`), nil if torch has none for it.
    public var torchStorageClass: String? { info?.torchStorage }
    /// MindSpore's `tensor_type` string (`Float32`).
    public var mindsporeTypeName: String? { info?.mindspore }
    /// The `.npy` descr (`<f4`), nil for bf16 (NumPy has none).
    public var numpyDescr: String? { info?.numpy }
    /// Whether this is a floating-point type.
    public var isFloatingPoint: Bool { info?.isFloatingPoint ?? false }
    /// Sort rank by descending alignment (the safetensors reference writer's order); unknown dtypes sort last.
    public var alignmentRank: Int { DType.known.firstIndex { $0.0 == self } ?? DType.known.count }

    /// The dtype whose torch storage class is `name` (`FloatStorage` → F32).
    public init?(torchStorageClass name: String) {
        guard let hit = DType.known.first(where: { $0.1.torchStorage == name }) else { return nil }
        self = hit.0
    }
    /// The dtype whose MindSpore `tensor_type` is `name` (`Float32` → F32).
    public init?(mindsporeTypeName name: String) {
        guard let hit = DType.known.first(where: { $0.1.mindspore == name }) else { return nil }
        self = hit.0
    }
    /// The dtype whose `.npy` descr is `descr` (`<f4` → F32; `=` and `|` byte orders accepted where unambiguous).
    public init?(numpyDescr descr: String) {
        var d = descr
        if d.hasPrefix("=") { d = "<" + d.dropFirst() }
        if let hit = DType.known.first(where: { $0.1.numpy == d }) { self = hit.0; return }
        if d.count == 3, d.hasPrefix("<") || d.hasPrefix("|"),
           let hit = DType.known.first(where: { $0.1.numpy?.dropFirst() == d.dropFirst() && $0.1.bits == 8 }) {
            self = hit.0; return
        }
        return nil
    }

    public var description: String { rawValue }

    public init(from decoder: Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}
