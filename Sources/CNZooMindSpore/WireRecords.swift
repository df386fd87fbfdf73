import CNZooCore

extension MindSporeFormat {
    /// One `Checkpoint.Value` record exactly as cnzoo's wire reader parsed it, before any validation of dtypes,
    /// shapes or slices: what the differential fuzz harness compares with an independent protobuf parser.
    public struct WireRecord: Equatable, Sendable {
        /// What the record's `oneof value` held.
        public enum Payload: Equatable, Sendable {
            /// A `TensorProto`: dims as written, `tensor_type`, `tensor_content` (nil when the field was absent).
            case tensor(dims: [Int64], type: String, content: [UInt8]?)
            /// A `MapTensorProto` with this many `TensorProto` parts (parts are framed, not decoded).
            case mapTensor(parts: Int)
            case empty
        }

        public var tag: String
        public var payload: Payload

        public init(tag: String, payload: Payload) {
            self.tag = tag
            self.payload = payload
        }
    }

    /// Parses `bytes` as a stream of `Checkpoint.value` records with cnzoo's own protobuf reader (no CRC trailer
    /// handling, no validation beyond the wire format and `Limits`).
    public static func wireRecords(_ bytes: UnsafeRawBufferPointer) throws -> [WireRecord] {
        try CheckpointWire.records(in: bytes, path: nil).map { r in
            switch r.payload {
            case let .tensor(dims, type, content):
                return WireRecord(tag: r.tag, payload: .tensor(dims: dims, type: type,
                                                               content: r.contentPresent ? Array(bytes[content]) : nil))
            case let .mapTensor(parts):
                return WireRecord(tag: r.tag, payload: .mapTensor(parts: parts))
            case .empty:
                return WireRecord(tag: r.tag, payload: .empty)
            }
        }
    }
}
