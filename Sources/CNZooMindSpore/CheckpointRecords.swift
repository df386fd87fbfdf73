import CNZooCore

/// One `Checkpoint.Value` record of a `.ckpt` stream, as found on the wire (not yet validated).
///
/// Offsets are absolute positions in the buffer that was parsed (the mapped file), so tensor bytes can be served in
/// place without copying.
struct CheckpointRecord: Sendable {
    /// What the record's `oneof value` holds.
    enum Payload: Sendable {
        /// A `TensorProto`: dims (as written; `[0]` or none means a scalar), `tensor_type`, and the byte range of
        /// `tensor_content`.
        case tensor(dims: [Int64], type: String, content: Range<Int>)
        /// A `MapTensorProto` (embedding tables of MindSpore map parameters) with this many parts; not decoded.
        case mapTensor(parts: Int)
        /// Neither field was present.
        case empty
    }

    var tag: String
    var payload: Payload
    /// Offset of the record's `0x0A` key byte.
    var offset: Int
    /// Whether a tensor record's `tensor_content` field was present (absent reads as empty content).
    var contentPresent = true
}

/// The hand-written protobuf wire-format reader for MindSpore's `checkpoint.proto`. It walks the stream one
/// `Checkpoint.value` record at a time (no giant message, no 2 GB limit) and records tensor contents as byte ranges.
/// Unknown fields are skipped by wire type, as protobuf does; packed and unpacked `dims` are both accepted; repeated
/// embedded messages merge the way protobuf merges them.
enum CheckpointWire {
    /// Protobuf wire types.
    enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, length = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

    /// Parses every record in `bytes` (the stream with any CRC trailer already removed). `path` is for messages.
    static func records(in bytes: UnsafeRawBufferPointer, path: String?) throws -> [CheckpointRecord] {
        var out: [CheckpointRecord] = []
        var cur = ByteCursor(bytes)
        while !cur.isAtEnd {
            let at = cur.position
            let (field, wire) = try key(&cur, path: path, context: "Checkpoint")
            guard field == 1, wire == .length else {
                if at == 0 {
                    throw CNZooError(.malformed,
                                     "does not start with a Checkpoint.value record (expected byte 0x0A, found 0x"
                                         + hex(bytes[0]) + "): not a MindSpore .ckpt, or an encrypted or damaged one",
                                     file: path, offset: 0)
                }
                try skip(wire, field: field, &cur, path: path, context: "Checkpoint", at: at)
                continue
            }
            let body = try lengthDelimited(&cur, path: path, what: "Checkpoint.value record", at: at)
            out.append(try value(body, bytes: bytes, recordOffset: at, path: path))
            guard out.count <= Limits.maxTensors else {
                throw Limits.exceeded("maxTensors", Limits.maxTensors, "record count", file: path, offset: at)
            }
        }
        return out
    }

    /// Parses one `Checkpoint.Value` occupying `body` (absolute range in `bytes`).
    private static func value(_ body: Range<Int>, bytes: UnsafeRawBufferPointer, recordOffset: Int,
                              path: String?) throws -> CheckpointRecord {
        var cur = ByteCursor(UnsafeRawBufferPointer(rebasing: bytes[body]), baseOffset: body.lowerBound)
        var tag: String?
        var tensor: TensorAccumulator?
        var mapParts: Int?
        while !cur.isAtEnd {
            let at = cur.fileOffset
            let (field, wire) = try key(&cur, path: path, context: "Checkpoint.Value", tag: tag)
            switch (field, wire) {
            case (1, .length):
                let r = try lengthDelimited(&cur, path: path, what: "tag", at: at, tag: tag)
                try checkHeaderField(r, "tag", path: path, tag: tag, at: at)
                guard let s = String(validatingUTF8Bytes: UnsafeRawBufferPointer(rebasing: bytes[r])) else {
                    throw CNZooError(.malformed, "tag is not valid UTF-8", file: path, offset: at)
                }
                tag = s
            case (2, .length):
                let r = try lengthDelimited(&cur, path: path, what: "tensor", at: at, tag: tag)
                var acc = tensor ?? TensorAccumulator()
                try parseTensor(r, bytes: bytes, into: &acc, path: path, tag: tag)
                tensor = acc
                mapParts = nil  // oneof: the last member set wins
            case (3, .length):
                let r = try lengthDelimited(&cur, path: path, what: "maptensor", at: at, tag: tag)
                mapParts = (mapParts ?? 0) + (try countMapParts(r, bytes: bytes, path: path, tag: tag))
                tensor = nil
            default:
                try skip(wire, field: field, &cur, path: path, context: "Checkpoint.Value", at: at, tag: tag)
            }
        }
        guard let tag else {
            throw CNZooError(.malformed, "record has no tag (Checkpoint.Value field 1 is required)", file: path,
                             offset: recordOffset)
        }
        let payload: CheckpointRecord.Payload
        if let t = tensor {
            guard let type = t.type else {
                throw CNZooError(.malformed, "tensor has no tensor_type (TensorProto field 2 is required)", file: path,
                                 tensor: tag, offset: recordOffset)
            }
            payload = .tensor(dims: t.dims, type: type, content: t.content ?? body.upperBound..<body.upperBound)
        } else if let mapParts {
            payload = .mapTensor(parts: mapParts)
        } else {
            payload = .empty
        }
        return CheckpointRecord(tag: tag, payload: payload, offset: recordOffset,
                                contentPresent: tensor.map { $0.content != nil } ?? true)
    }

    /// The fields of a `TensorProto` as merged so far.
    private struct TensorAccumulator {
        var dims: [Int64] = []
        var type: String?
        var content: Range<Int>?
    }

    private static func parseTensor(_ body: Range<Int>, bytes: UnsafeRawBufferPointer, into t: inout TensorAccumulator,
                                    path: String?, tag: String?) throws {
        var cur = ByteCursor(UnsafeRawBufferPointer(rebasing: bytes[body]), baseOffset: body.lowerBound)
        func addDim(_ v: UInt64, at: Int) throws {
            guard t.dims.count < Limits.maxRank else {
                throw Limits.exceeded("maxRank", Limits.maxRank, "dims count", file: path, tensor: tag, offset: at)
            }
            t.dims.append(Int64(bitPattern: v))
        }
        while !cur.isAtEnd {
            let at = cur.fileOffset
            let (field, wire) = try key(&cur, path: path, context: "TensorProto", tag: tag)
            switch (field, wire) {
            case (1, .varint):
                guard let v = cur.readVarint() else {
                    throw CNZooError(.truncated, "dims value is cut off", file: path, tensor: tag, offset: at)
                }
                try addDim(v, at: at)
            case (1, .length):  // packed dims
                let r = try lengthDelimited(&cur, path: path, what: "packed dims", at: at, tag: tag)
                var packed = ByteCursor(UnsafeRawBufferPointer(rebasing: bytes[r]), baseOffset: r.lowerBound)
                while !packed.isAtEnd {
                    guard let v = packed.readVarint() else {
                        throw CNZooError(.malformed, "packed dims end inside a varint", file: path, tensor: tag,
                                         offset: packed.fileOffset)
                    }
                    try addDim(v, at: at)
                }
            case (2, .length):
                let r = try lengthDelimited(&cur, path: path, what: "tensor_type", at: at, tag: tag)
                try checkHeaderField(r, "tensor_type", path: path, tag: tag, at: at)
                guard let s = String(validatingUTF8Bytes: UnsafeRawBufferPointer(rebasing: bytes[r])) else {
                    throw CNZooError(.malformed, "tensor_type is not valid UTF-8", file: path, tensor: tag, offset: at)
                }
                t.type = s
            case (3, .length):
                t.content = try lengthDelimited(&cur, path: path, what: "tensor_content", at: at, tag: tag)
            default:
                try skip(wire, field: field, &cur, path: path, context: "TensorProto", at: at, tag: tag)
            }
        }
    }

    /// Counts the `TensorProto` parts of a `MapTensorProto` (field 1), checking the framing only.
    private static func countMapParts(_ body: Range<Int>, bytes: UnsafeRawBufferPointer, path: String?,
                                      tag: String?) throws -> Int {
        var cur = ByteCursor(UnsafeRawBufferPointer(rebasing: bytes[body]), baseOffset: body.lowerBound)
        var parts = 0
        while !cur.isAtEnd {
            let at = cur.fileOffset
            let (field, wire) = try key(&cur, path: path, context: "MapTensorProto", tag: tag)
            if field == 1, wire == .length {
                _ = try lengthDelimited(&cur, path: path, what: "map tensor part", at: at, tag: tag)
                parts += 1
            } else {
                try skip(wire, field: field, &cur, path: path, context: "MapTensorProto", at: at, tag: tag)
            }
        }
        return parts
    }

    /// Names and type strings are header data: bounded by `Limits.maxRecordHeaderBytes`.
    private static func checkHeaderField(_ r: Range<Int>, _ what: String, path: String?, tag: String?,
                                         at: Int) throws {
        guard r.count <= Limits.maxRecordHeaderBytes else {
            throw Limits.exceeded("maxRecordHeaderBytes", Limits.maxRecordHeaderBytes, "\(what) of \(r.count) bytes",
                                  file: path, tensor: tag, offset: at)
        }
    }

    // MARK: - Wire primitives

    /// Reads a field key: (field number, wire type).
    private static func key(_ cur: inout ByteCursor, path: String?, context: String,
                            tag: String? = nil) throws -> (UInt64, WireType) {
        let at = cur.fileOffset
        guard let k = cur.readVarint() else {
            throw CNZooError(.truncated, "\(context) field key is cut off", file: path, tensor: tag, offset: at)
        }
        // A key is a 32-bit varint: at most 5 bytes (protobuf-c refuses longer, overlong encodings too).
        guard cur.fileOffset - at <= 5 else {
            throw CNZooError(.malformed, "\(context) field key is a varint of \(cur.fileOffset - at) bytes (at most 5)",
                             file: path, tensor: tag, offset: at)
        }
        let field = k >> 3
        guard field != 0, let wire = WireType(rawValue: k & 7) else {
            throw CNZooError(.malformed, "invalid \(context) field key 0x\(String(k, radix: 16))", file: path,
                             tensor: tag, offset: at)
        }
        // Protobuf field numbers end at 2^29 − 1 (a key is a 32-bit varint); protobuf-c refuses longer keys too.
        guard field <= 0x1FFF_FFFF else {
            throw CNZooError(.malformed, "invalid \(context) field key 0x\(String(k, radix: 16)): field number above "
                                 + "2^29 − 1", file: path, tensor: tag, offset: at)
        }
        return (field, wire)
    }

    /// Reads a length prefix and returns the absolute range of the payload that follows, moving past it.
    private static func lengthDelimited(_ cur: inout ByteCursor, path: String?, what: String, at: Int,
                                        tag: String? = nil) throws -> Range<Int> {
        guard let n = cur.readVarint() else {
            throw CNZooError(.truncated, "\(what) length is cut off", file: path, tensor: tag, offset: at)
        }
        guard n <= UInt64(cur.remaining) else {
            throw CNZooError(.truncated,
                             "\(what) declares \(n) bytes but only \(cur.remaining) remain in the enclosing record",
                             file: path, tensor: tag, offset: at)
        }
        let start = cur.fileOffset
        _ = cur.skip(Int(n))
        return start..<(start + Int(n))
    }

    /// Skips one field's value by wire type (groups are refused: checkpoint.proto has none).
    private static func skip(_ wire: WireType, field: UInt64, _ cur: inout ByteCursor, path: String?, context: String,
                             at: Int, tag: String? = nil) throws {
        let ok: Bool
        switch wire {
        case .varint: ok = cur.readVarint() != nil
        case .fixed64: ok = cur.skip(8)
        case .fixed32: ok = cur.skip(4)
        case .length:
            _ = try lengthDelimited(&cur, path: path, what: "\(context) field \(field)", at: at, tag: tag)
            ok = true
        case .startGroup, .endGroup:
            throw CNZooError(.malformed, "\(context) field \(field) uses the group wire type, which checkpoint.proto "
                                 + "never writes", file: path, tensor: tag, offset: at)
        }
        guard ok else {
            throw CNZooError(.truncated, "\(context) field \(field) is cut off", file: path, tensor: tag, offset: at)
        }
    }

    static func hex(_ b: UInt8) -> String {
        let s = String(b, radix: 16, uppercase: true)
        return s.count == 1 ? "0" + s : s
    }
}

extension String {
    /// Decodes UTF-8, or nil if the bytes are not valid UTF-8.
    init?(validatingUTF8Bytes bytes: UnsafeRawBufferPointer) {
        var it = bytes.makeIterator()
        var s = ""
        var decoder = UTF8()
        loop: while true {
            switch decoder.decode(&it) {
            case let .scalarValue(v): s.unicodeScalars.append(v)
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        self = s
    }
}
