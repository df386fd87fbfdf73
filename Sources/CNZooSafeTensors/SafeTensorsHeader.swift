import CNZooCore

/// One tensor as declared in a safetensors header.
public struct SafeTensorsEntry: Equatable, Sendable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    /// `[begin, end)` relative to the start of the data buffer.
    public var begin: Int
    public var end: Int
}

/// A parsed (not yet validated) safetensors header.
public struct SafeTensorsHeader: Sendable {
    /// Entries in header (document) order.
    public var entries: [SafeTensorsEntry]
    /// `__metadata__`, if present, in document order.
    public var metadata: [(String, String)]?
    /// N, the JSON header's byte length.
    public var headerLength: Int
    /// Absolute file offset of the data buffer (8 + N).
    public var dataStart: Int { 8 + headerLength }
}

extension SafeTensors {
    /// Step 1, parsing: reads the length prefix and turns the JSON header into entries. Checks only what is needed
    /// to build the structure (types, the header-size cap); the layout rules are `validate`'s job.
    public static func parseHeader(_ bytes: UnsafeRawBufferPointer) throws -> SafeTensorsHeader {
        var cur = ByteCursor(bytes)
        guard let n64 = cur.readLE(UInt64.self) else {
            throw CNZooError(.truncated, "file is \(bytes.count) bytes; a safetensors file starts with an 8-byte header length",
                             offset: 0)
        }
        guard n64 <= UInt64(Limits.maxSafeTensorsHeaderBytes) else {
            throw CNZooError(.limitExceeded,
                             "header length \(n64) exceeds limit maxSafeTensorsHeaderBytes (\(Limits.maxSafeTensorsHeaderBytes))",
                             offset: 0)
        }
        let n = Int(n64)
        guard let json = cur.readBytes(n) else {
            throw CNZooError(.truncated, "header length \(n) runs past the end of the file (\(bytes.count) bytes)",
                             offset: 0)
        }
        guard n > 0, json[0] == UInt8(ascii: "{") else {
            throw CNZooError(.malformed, "header must begin with '{'", offset: 8)
        }
        guard case let .object(members) = try JSONParser.parse(json, baseOffset: 8) else {
            throw CNZooError(.malformed, "header is not a JSON object", offset: 8)
        }
        var entries: [SafeTensorsEntry] = []
        entries.reserveCapacity(members.count)
        var metadata: [(String, String)]?
        for (key, value) in members {
            if key == "__metadata__" {
                guard case let .object(kv) = value else {
                    throw CNZooError(.malformed, "__metadata__ must be an object of strings, found \(value.typeName)", offset: 8)
                }
                metadata = try kv.map { k, v in
                    guard case let .string(s) = v else {
                        throw CNZooError(.malformed, "__metadata__ value for \"\(k)\" must be a string, found \(v.typeName)",
                                         offset: 8)
                    }
                    return (k, s)
                }
                continue
            }
            entries.append(try entry(named: key, value))
        }
        guard entries.count <= Limits.maxTensors else {
            throw Limits.exceeded("maxTensors", Limits.maxTensors, "tensor count \(entries.count)")
        }
        return SafeTensorsHeader(entries: entries, metadata: metadata, headerLength: n)
    }

    private static func entry(named name: String, _ value: JSONValue) throws -> SafeTensorsEntry {
        func bad(_ msg: String) -> CNZooError { CNZooError(.malformed, msg, tensor: name, offset: 8) }
        guard case let .object(fields) = value else { throw bad("entry must be an object, found \(value.typeName)") }
        var dtype: DType?
        var shape: [Int]?
        var offsets: [Int]?
        for (k, v) in fields {
            switch k {
            case "dtype":
                guard case let .string(s) = v else { throw bad("dtype must be a string") }
                let d = DType(rawValue: s)
                guard d.isKnown else { throw bad("unknown dtype \"\(s)\"") }
                dtype = d
            case "shape":
                guard case let .array(a) = v else { throw bad("shape must be an array of integers") }
                guard a.count <= Limits.maxRank else {
                    throw Limits.exceeded("maxRank", Limits.maxRank, "shape rank \(a.count)", tensor: name)
                }
                shape = try a.map {
                    guard case let .int(i) = $0, i >= 0 else { throw bad("shape must hold non-negative integers") }
                    return Int(i)
                }
            case "data_offsets":
                guard case let .array(a) = v, a.count == 2 else { throw bad("data_offsets must be [begin, end]") }
                offsets = try a.map {
                    guard case let .int(i) = $0, i >= 0 else { throw bad("data_offsets must hold non-negative integers") }
                    return Int(i)
                }
            default:
                throw bad("unknown field \"\(k)\"")
            }
        }
        guard let dtype else { throw bad("missing dtype") }
        guard let shape else { throw bad("missing shape") }
        guard let offsets else { throw bad("missing data_offsets") }
        return SafeTensorsEntry(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
    }

    /// Step 2, validation — the reference crate's rules: entries sorted by offsets must tile the data buffer exactly
    /// (first begins at 0, each begins where the previous ended, no overlap, no gap), each byte range must equal
    /// elements × width (checked arithmetic), and the buffer must end exactly at the end of the file.
    /// Returns the entries in data order.
    public static func validate(_ header: SafeTensorsHeader, fileSize: Int) throws -> [SafeTensorsEntry] {
        let sorted = header.entries.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var expected = 0
        for e in sorted {
            let at = header.dataStart + e.begin
            guard e.begin == expected else {
                let what = e.begin < expected ? "overlaps the previous tensor" : "leaves a gap after the previous tensor"
                throw CNZooError(.malformed, "data_offsets [\(e.begin), \(e.end)] \(what) (expected begin \(expected))",
                                 tensor: e.name, offset: at)
            }
            guard e.end >= e.begin else {
                throw CNZooError(.malformed, "data_offsets end \(e.end) is before begin \(e.begin)", tensor: e.name, offset: at)
            }
            guard let size = Checked.byteCount(e.shape, e.dtype) else {
                throw CNZooError(.malformed, "shape \(e.shape) × \(e.dtype) overflows", tensor: e.name, offset: at)
            }
            guard e.end - e.begin == size else {
                throw CNZooError(.malformed,
                                 "byte range is \(e.end - e.begin) bytes but shape \(e.shape) of \(e.dtype) needs \(size)",
                                 tensor: e.name, offset: at)
            }
            expected = e.end
        }
        guard let total = Checked.add(header.dataStart, expected), total == fileSize else {
            let declared = header.dataStart + expected
            let what = declared < fileSize ? "\(fileSize - declared) trailing bytes after the data"
                                           : "data runs \(declared - fileSize) bytes past the end of the file"
            throw CNZooError(.malformed, "\(what) (header declares \(declared) bytes, file has \(fileSize))",
                             offset: min(declared, fileSize))
        }
        return sorted
    }
}
