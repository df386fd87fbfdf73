import CMindSporeCheckpointPB
import CNZooCore
import CNZooMindSpore

/// The differential `.ckpt` check: cnzoo's hand-written protobuf stream reader against the parser protoc-c generated
/// from MindSpore's own `checkpoint.proto` (libprotobuf-c), on the same bytes. Both must produce the same records
/// (tag, dims, tensor_type, tensor_content bytes, map-tensor part count) or both refuse.
///
/// Where cnzoo is stricter on purpose, a refusal by cnzoo alone is allowed (and only then): a stream whose first
/// field is not a `Checkpoint.value` record (cnzoo names it "not a .ckpt"), strings that are not UTF-8, group wire
/// types, `Limits` (rank > 64), field number 0 written as a multi-byte varint (`80 00`), which protobuf-c 1.4.1's
/// tag parser lets through although the protobuf encoding forbids field 0, and field numbers from 2^29 to 2^32 − 1,
/// which protobuf-c reads as unknown fields although field numbers end at 2^29 − 1 (both found by this harness;
/// the second one first as a cnzoo bug: it skipped keys of any length, protobuf-c refuses keys over 5 bytes; cnzoo
/// now refuses them too). Where protobuf-c is stricter, a refusal by protobuf-c alone is allowed only for what
/// cnzoo does not decode or treats as defaulted: a tensor without `tensor_content` (required in the .proto; cnzoo
/// reads it as empty and its later size check decides), the parts of a map tensor (cnzoo counts them and refuses
/// map parameters later), and a known field number carrying another wire type (protobuf-c refuses it; the protobuf
/// specification, and the C++/Python runtime MindSpore uses, skip it as an unknown field, as cnzoo does). When a
/// `Value` holds its `oneof` message (`tensor` / `maptensor`) more than once, protobuf-c discards the earlier one and
/// parses the later alone, where protobuf merges repeated occurrences of the same member (as cnzoo does), so no
/// comparison is made there. Both protobuf-c behaviours were found by this harness and are recognised by
/// `protobufCQuirk`, a third, schema-only walk over the framing. Strings are compared as C strings (protobuf-c's
/// view ends at a NUL byte).
public enum CheckpointDifferential {
    /// What one parser made of the input.
    public enum Outcome: Equatable {
        case records([MindSporeFormat.WireRecord])
        case refused(String)
    }

    /// cnzoo's wire reader.
    public static func cnzoo(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        do {
            return .records(try MindSporeFormat.wireRecords(bytes))
        } catch {
            return .refused(String(describing: error))
        }
    }

    /// protobuf-c's `checkpoint__unpack` of the whole stream (concatenated `Checkpoint` messages merge into one whose
    /// `value` list is every record, which is how protobuf defines concatenation).
    public static func protobufC(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        var empty: UInt8 = 0
        let msg = withUnsafeMutablePointer(to: &empty) { fallback in
            checkpoint__unpack(nil, bytes.count, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(fallback))
        }
        guard let msg else { return .refused("protobuf-c refused the stream") }
        defer { checkpoint__free_unpacked(msg, nil) }
        var out: [MindSporeFormat.WireRecord] = []
        for i in 0..<msg.pointee.n_value {
            let v = msg.pointee.value[i]!.pointee
            let tag = String(cString: v.tag)
            switch v.value_case {
            case CHECKPOINT__VALUE__VALUE_TENSOR:
                let t = v.tensor.pointee
                let dims = (0..<t.n_dims).map { t.dims[$0] }
                let content = t.tensor_content.len == 0 ? [] : [UInt8](UnsafeBufferPointer(start: t.tensor_content.data,
                                                                                          count: t.tensor_content.len))
                out.append(.init(tag: tag, payload: .tensor(dims: dims, type: String(cString: t.tensor_type), content: content)))
            case CHECKPOINT__VALUE__VALUE_MAPTENSOR:
                out.append(.init(tag: tag, payload: .mapTensor(parts: v.maptensor.pointee.n_tensor)))
            default:
                out.append(.init(tag: tag, payload: .empty))
            }
        }
        return .records(out)
    }

    /// nil when the two parsers agree (up to the documented differences), else what differs.
    public static func disagreement(_ bytes: UnsafeRawBufferPointer) -> String? {
        let ours = cnzoo(bytes), theirs = protobufC(bytes)
        switch (ours, theirs) {
        case let (.records(a), .records(b)):
            let a = a.map(cView)
            return a == b || protobufCQuirk(bytes) ? nil : "records differ:\n cnzoo      \(a)\n protobuf-c \(b)"
        case (.refused, .refused):
            return nil
        case let (.refused(why), .records):
            let deliberate = ["does not start with a Checkpoint.value record", "not valid UTF-8", "group wire type",
                              "maxRank", "field number above 2^29"]
            return deliberate.contains(where: why.contains) || refusesFieldZero(why) ? nil : "only cnzoo refused: \(why)"
        case let (.records(a), .refused):
            let allowed = protobufCQuirk(bytes) || a.contains { r in
                switch r.payload {
                case let .tensor(_, _, content): return content == nil
                case .mapTensor: return true
                case .empty: return false
                }
            }
            return allowed ? nil : "only protobuf-c refused; cnzoo read \(a.count) records"
        }
    }

    /// Whether cnzoo's refusal is of a field key whose field number is 0 (a key below 8).
    private static func refusesFieldZero(_ why: String) -> Bool {
        guard let r = why.range(of: "field key 0x") else { return false }
        return why[r.upperBound...].prefix { $0.isHexDigit }.count == 1
            && UInt8(String(why[r.upperBound]), radix: 16).map { $0 < 8 } == true
    }

    /// checkpoint.proto's fields: message → field number → (allowed wire types, nested message).
    private static let schema: [String: [UInt64: (wires: Set<UInt64>, message: String?)]] = [
        "Checkpoint": [1: ([2], "Value")],
        "Value": [1: ([2], nil), 2: ([2], "TensorProto"), 3: ([2], "MapTensorProto")],
        "TensorProto": [1: ([0, 2], nil), 2: ([2], nil), 3: ([2], nil)],
        "MapTensorProto": [1: ([2], "TensorProto")],
    ]

    /// Whether the stream shows where protobuf-c departs from protobuf: a known field with a wire type its
    /// declaration does not have, or a `Value` whose `oneof` message occurs more than once (a walk over the framing
    /// only; stops at the first malformed byte).
    static func protobufCQuirk(_ bytes: UnsafeRawBufferPointer, message: String = "Checkpoint") -> Bool {
        var c = ByteCursor(bytes)
        var oneofSeen = 0
        while !c.isAtEnd {
            guard let key = c.readVarint() else { return false }
            let field = key >> 3, wire = key & 7
            if let known = schema[message]?[field] {
                if !known.wires.contains(wire) { return true }
                if message == "Value" && (field == 2 || field == 3) {
                    oneofSeen += 1
                    if oneofSeen > 1 { return true }
                }
            }
            switch wire {
            case 0: guard c.readVarint() != nil else { return false }
            case 1: guard c.skip(8) else { return false }
            case 5: guard c.skip(4) else { return false }
            case 2:
                guard let n = c.readVarint(), n <= UInt64(c.remaining), let body = c.readBytes(Int(n)) else { return false }
                if let nested = schema[message]?[field]?.message, protobufCQuirk(body, message: nested) {
                    return true
                }
            default: return false
            }
        }
        return false
    }

    /// A record as protobuf-c's C strings show it (cut at the first NUL), with absent content as empty.
    private static func cView(_ r: MindSporeFormat.WireRecord) -> MindSporeFormat.WireRecord {
        func c(_ s: String) -> String { String(decoding: s.utf8.prefix { $0 != 0 }, as: UTF8.self) }
        var out = r
        out.tag = c(r.tag)
        if case let .tensor(dims, type, content) = r.payload {
            out.payload = .tensor(dims: dims, type: c(type), content: content ?? [])
        }
        return out
    }
}
