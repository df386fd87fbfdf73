import CNZooCore
import CNZooKerasC

/// What the bounded libhdf5 walk found in a file: groups, string attributes and datasets (with file ranges for
/// contiguous data, bytes for data the library had to decode). Built from the child process's binary listing.
public struct HDF5Listing: Sendable {
    /// One dataset.
    public struct Dataset: Sendable {
        /// The HDF5 path without the leading `/` (`layers/dense/vars/0`).
        public var path: String
        /// The element type (BF16 when a U16 dataset carries Keras' `dtype="bfloat16"` attribute).
        public var dtype: DType
        public var bigEndian: Bool
        public var shape: [Int]
        /// `0` compact, `1` contiguous, `2` chunked.
        public var layout: Int
        /// Where contiguous data starts in the HDF5 image (nil when no storage was allocated).
        public var offset: Int?
        /// Bytes the file stores for the dataset.
        public var storageBytes: Int
        /// Filter ids (deflate 1, shuffle 2).
        public var filters: [UInt32]
        /// The decoded bytes of a compact or chunked dataset.
        public var bytes: [UInt8]?
    }

    /// Every group path in walk order (`""` is the root).
    public var groups: [String] = []
    /// String attributes: object path → attribute name → values.
    public var stringAttributes: [String: [String: [String]]] = [:]
    /// Attributes that are not strings, as `path` → names (listed, not interpreted).
    public var otherAttributes: [String: [String]] = [:]
    /// Datasets in walk order (by name within each group).
    public var datasets: [Dataset] = []

    /// The single string value of attribute `name` on `path`, if it has exactly one.
    public func string(_ name: String, on path: String) -> String? {
        guard let v = stringAttributes[path]?[name], v.count == 1 else { return nil }
        return v[0]
    }

    /// Bounds for the walk (see `cnzoo_h5_limits`).
    static func limits(fileSize: Int) -> cnzoo_h5_limits {
        cnzoo_h5_limits(max_depth: 16, max_objects: 200_000, max_rank: UInt32(min(Limits.maxRank, 32)),
                        max_name_bytes: 4096, max_attributes: 1024, max_attribute_bytes: 64 << 20,
                        max_read_bytes: UInt64(Limits.maxMaterializedTensorBytes),
                        max_total_read_bytes: UInt64(Limits.maxMaterializedTensorBytes))
    }

    /// Parses the binary listing produced by `cnzoo_h5_index`.
    init(listing bytes: UnsafeRawBufferPointer, file: String?) throws {
        var c = ByteCursor(bytes)
        func bad(_ what: String) -> CNZooError {
            CNZooError(.malformed, "HDF5 index listing is malformed (\(what))", file: file, offset: c.position)
        }
        func str() throws -> String {
            guard let n = c.readLE(UInt32.self), let b = c.readBytes(Int(n)) else { throw bad("string") }
            return String(decoding: b, as: UTF8.self)
        }
        func u64() throws -> UInt64 {
            guard let v = c.readLE(UInt64.self) else { throw bad("integer") }
            return v
        }
        var byPath: [String: Int] = [:]
        while !c.isAtEnd {
            guard let kind = c.readByte() else { throw bad("record") }
            switch kind {
            case UInt8(ascii: "G"):
                groups.append(try str())
            case UInt8(ascii: "S"):
                let path = try str(), name = try str()
                guard let n = c.readLE(UInt32.self), Int(n) <= c.remaining / 4 else { throw bad("attribute count") }
                var values: [String] = []
                values.reserveCapacity(Int(n))
                for _ in 0..<n { values.append(try str()) }
                stringAttributes[path, default: [:]][name] = values
            case UInt8(ascii: "O"):
                let path = try str(), name = try str()
                otherAttributes[path, default: []].append(name)
            case UInt8(ascii: "D"):
                let path = try str()
                guard let cls = c.readByte(), let size = c.readLE(UInt32.self), let order = c.readByte(),
                      let rank = c.readLE(UInt32.self), rank <= 32 else { throw bad("dataset header") }
                var shape: [Int] = []
                for _ in 0..<rank {
                    let d = try u64()
                    guard d <= UInt64(Int.max) else {
                        throw CNZooError(.limitExceeded, "dimension \(d) is too large", file: file, tensor: path)
                    }
                    shape.append(Int(d))
                }
                guard let layout = c.readByte(), let off = c.readLE(UInt64.self), let storage = c.readLE(UInt64.self),
                      let nf = c.readLE(UInt32.self), nf <= 8 else { throw bad("dataset layout") }
                var filters: [UInt32] = []
                for _ in 0..<nf {
                    guard let f = c.readLE(UInt32.self) else { throw bad("filters") }
                    filters.append(f)
                }
                let dtype = try HDF5Listing.dtype(class: cls, size: Int(size), path: path, file: file)
                byPath[path] = datasets.count
                datasets.append(Dataset(path: path, dtype: dtype, bigEndian: order == 1, shape: shape,
                                        layout: Int(layout), offset: off == .max || off > UInt64(Int.max) ? nil : Int(off),
                                        storageBytes: Int(clamping: storage), filters: filters, bytes: nil))
            case UInt8(ascii: "B"):
                let path = try str()
                let n = try u64()
                guard n <= UInt64(c.remaining), let b = c.readBytes(Int(n)), let i = byPath[path] else {
                    throw bad("dataset bytes")
                }
                datasets[i].bytes = Array(b)
            case UInt8(ascii: "E"):
                throw CNZooError(.malformed, "HDF5 refused: \(try str())", file: file)
            default:
                throw bad("record kind \(kind)")
            }
        }
        // Keras stores bfloat16 as uint16 with a `dtype` attribute.
        for i in datasets.indices where datasets[i].dtype == .u16 && string("dtype", on: datasets[i].path) == "bfloat16" {
            datasets[i].dtype = .bf16
        }
    }

    static func dtype(class cls: UInt8, size: Int, path: String, file: String?) throws -> DType {
        switch (cls, size) {
        case (0, 2): return .f16
        case (0, 4): return .f32
        case (0, 8): return .f64
        case (1, 1): return .i8
        case (1, 2): return .i16
        case (1, 4): return .i32
        case (1, 8): return .i64
        case (2, 1): return .u8
        case (2, 2): return .u16
        case (2, 4): return .u32
        case (2, 8): return .u64
        default:
            throw CNZooError(.unsupported, "HDF5 datatype class \(cls) of \(size) bytes", file: file, tensor: path)
        }
    }
}
