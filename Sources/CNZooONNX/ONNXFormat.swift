import CNZooCore

/// Reads an `.onnx` model as a checkpoint: its initializers become tensors (names kept as the file spells them —
/// `torch.onnx.export` keeps state-dict names, cnzoo's export keeps the source convention's — so the detector maps
/// them like any other checkpoint), `metadata_props` become metadata. Nodes are not read.
///
/// The parser is hand-written over the mapped file, not protobuf-c's `unpack`: `unpack` copies every `raw_data`
/// into fresh memory, while here tensor bytes stay in the file (a lazy range, as every cnzoo reader hands out). It
/// walks only the fixed path ModelProto → GraphProto → TensorProto (no recursion into subgraphs), bounds every
/// count, length and rank by `Limits`, and refuses what it cannot serve exactly: segmented tensors, string and
/// unknown element types, data that does not match dtype × shape, external data outside the model's directory.
public enum ONNXFormat: MappedCheckpointReader {
    /// Reads an already mapped model. External data is allowed only when `file.path` names a real file.
    public static func read(file: MappedFile) throws -> Checkpoint {
        do {
            var parser = Parser(bytes: file.bytes, path: file.path)
            try parser.model()
            var external: [String: MappedFile] = [:]
            var tensors = try parser.tensors.map { try $0.entry(file: file, external: &external) }
            let restored = FoldedLinear.restore(&tensors, nodes: parser.nodes)
            var notes = ["ONNX model (ir_version \(parser.irVersion ?? 0), "
                         + (parser.opsets.isEmpty ? "no opset" : "opset " + parser.opsets.joined(separator: ", "))
                         + (parser.producer.isEmpty ? "" : ", written by \(parser.producer)")
                         + "): \(tensors.count) initializers read as tensors; the graph's nodes are not part of a checkpoint"]
            if restored > 0 {
                notes.append("\(restored) Linear weight(s) that torch.onnx.export folded into transposed onnx::MatMul_* "
                             + "constants were restored under their module names ([out, in] layout)")
            }
            if parser.sparseInitializers > 0 {
                notes.append("\(parser.sparseInitializers) sparse initializer(s) were not read")
            }
            return Checkpoint(tensors: tensors, metadata: parser.metadata, extras: [], notes: notes)
        } catch {
            throw CNZooError.wrap(error, file: file.path)
        }
    }

    /// Whether `bytes` look like a serialized `ModelProto` as every writer orders it: `ir_version` (field 1) first,
    /// with a plausible value, followed by another `ModelProto` field.
    public static func looksLikeModel(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var c = ByteCursor(bytes)
        guard c.readByte() == 0x08, let v = c.readVarint(), (3...32).contains(v), let next = c.readByte() else {
            return false
        }
        return [0x12, 0x1A, 0x22, 0x28, 0x32, 0x3A, 0x42, 0x72].contains(next)
    }

    /// ONNX `TensorProto.DataType` codes cnzoo can carry, and their dtypes.
    static let dataTypes: [Int: DType] = [1: .f32, 2: .u8, 3: .i8, 4: .u16, 5: .i16, 6: .i32, 7: .i64, 9: .bool,
                                          10: .f16, 11: .f64, 12: .u32, 13: .u64, 16: .bf16]

    /// One initializer as found on the wire.
    struct RawTensor {
        var offset: Int
        var name = ""
        var dims: [Int] = []
        var dataType = 0
        var raw: Range<Int>?
        /// Values of the typed fields (float_data, int32_data, int64_data, double_data) as little-endian bytes of
        /// the field's own width, with that width.
        var typed: [UInt8] = []
        var typedWidth = 0
        var typedCount = 0
        var external: [String: String] = [:]
        var location = 0

        func entry(file: MappedFile, external files: inout [String: MappedFile]) throws -> TensorEntry {
            let path = file.path
            func fail(_ code: CNZooError.Code, _ message: String) -> CNZooError {
                CNZooError(code, message, file: path, tensor: name, offset: offset)
            }
            guard let dtype = ONNXFormat.dataTypes[dataType] else {
                throw fail(.unsupported, "ONNX data type \(dataType) is not a numeric type cnzoo carries")
            }
            guard let count = Checked.elementCount(dims), let bytes = Checked.byteCount(dims, dtype) else {
                throw fail(.malformed, "dims \(dims) are negative or overflow")
            }
            let sources = (raw != nil ? 1 : 0) + (typedCount > 0 ? 1 : 0) + (location == 1 ? 1 : 0)
            guard sources <= 1 else { throw fail(.malformed, "tensor has data in more than one place") }
            let data: TensorData
            if location == 1 {
                data = try externalData(bytes: bytes, file: file, files: &files, fail: fail)
            } else if let raw {
                guard raw.count == bytes else {
                    throw fail(.malformed, "raw_data holds \(raw.count) bytes; \(dtype) \(dims) needs \(bytes)")
                }
                data = .file(file, raw)
            } else {
                guard typedCount == count else {
                    throw fail(.malformed, "holds \(typedCount) values; \(dims) needs \(count)")
                }
                data = .bytes(try narrow(dtype: dtype, fail: fail))
            }
            return TensorEntry(name: name, dtype: dtype, shape: dims, data: data)
        }

        /// The typed values in `dtype`'s width: float/double/int64 fields are already that width; int32_data holds
        /// every narrower type (and float16/bfloat16 bit patterns) one value per int32.
        private func narrow(dtype: DType, fail: (CNZooError.Code, String) -> CNZooError) throws -> [UInt8] {
            guard let w = dtype.byteWidth else { throw fail(.unsupported, "unknown width") }
            if typedCount == 0 || w == typedWidth { return typed }
            guard typedWidth == 4, w < 4 else {
                throw fail(.malformed, "\(dtype) values stored in a \(typedWidth * 8)-bit field")
            }
            var out: [UInt8] = []
            out.reserveCapacity(typedCount * w)
            for i in 0..<typedCount { out.append(contentsOf: typed[(4 * i)..<(4 * i + w)]) }
            return out
        }

        private func externalData(bytes: Int, file: MappedFile, files: inout [String: MappedFile],
                                  fail: (CNZooError.Code, String) -> CNZooError) throws -> TensorData {
            guard let location = external["location"], !location.isEmpty else {
                throw fail(.malformed, "external data without a location")
            }
            let parts = location.split(separator: "/", omittingEmptySubsequences: false)
            guard !location.hasPrefix("/"), !location.contains("\\"), !location.contains("\0"),
                  !parts.contains(where: { $0 == ".." || $0.isEmpty }) else {
                throw fail(.unsafe, "external data location '\(location)' leaves the model's directory")
            }
            guard file.fileDescriptor != nil || !file.path.hasPrefix("<") else {
                throw fail(.unsupported, "external data '\(location)' cannot be resolved for an in-memory model")
            }
            guard let offset = Int(external["offset"] ?? "0"), offset >= 0 else {
                throw fail(.malformed, "external data offset '\(external["offset"] ?? "")' is not a byte offset")
            }
            if let l = external["length"], Int(l) != bytes {
                throw fail(.malformed, "external data length \(l); the tensor needs \(bytes) bytes")
            }
            let dir = file.path.lastIndex(of: "/").map { String(file.path[...$0]) } ?? ""
            let target = dir + location
            let mapped: MappedFile
            if let m = files[target] {
                mapped = m
            } else {
                mapped = try MappedFile(path: target)
                files[target] = mapped
            }
            guard let end = Checked.add(offset, bytes), end <= mapped.size else {
                throw fail(.truncated, "external data \(offset)..<\(offset + bytes) lies outside \(location) "
                               + "(\(mapped.size) bytes)")
            }
            return .file(mapped, offset..<end)
        }
    }

    /// The walk over ModelProto → GraphProto → TensorProto.
    struct Parser {
        let w: Wire
        var tensors: [RawTensor] = []
        var metadata: [String: String] = [:]
        var irVersion: UInt64?
        var producer = ""
        var opsets: [String] = []
        var sparseInitializers = 0
        /// The `MatMul` and `Add` nodes (op type, inputs, outputs): enough to name folded Linear weights.
        var nodes: [(op: String, inputs: [String], outputs: [String])] = []
        private var names = Set<String>()

        var path: String { w.path }

        init(bytes: UnsafeRawBufferPointer, path: String) {
            w = Wire(bytes: bytes, path: path)
        }

        mutating func model() throws {
            let w = self.w
            var c = ByteCursor(w.bytes)
            guard !c.isAtEnd else { throw CNZooError(.truncated, "empty file", file: path, offset: 0) }
            try w.fields(&c, "ModelProto") { field, wire, c in
                switch (field, wire) {
                case (1, 0): irVersion = try w.varint(&c, "ir_version")
                case (2, 2): producer = try w.string(&c, "producer_name") + (producer.isEmpty ? "" : " " + producer)
                case (3, 2): producer += " " + (try w.string(&c, "producer_version"))
                case (7, 2): try graph(try w.sub(&c, "graph"))
                case (8, 2):
                    var op = try w.sub(&c, "opset_import")
                    var domain = "", version: UInt64 = 0
                    try w.fields(&op, "OperatorSetIdProto") { f, wt, o in
                        switch (f, wt) {
                        case (1, 2): domain = try w.string(&o, "domain")
                        case (2, 0): version = try w.varint(&o, "version")
                        default: return false
                        }
                        return true
                    }
                    try bound(opsets.count, "opset_import entries")
                    opsets.append(domain.isEmpty ? String(version) : "\(domain) \(version)")
                case (14, 2):
                    let (k, v) = try w.entry(try w.sub(&c, "metadata_props"))
                    try bound(metadata.count, "metadata_props entries")
                    metadata[k] = v
                default: return false
                }
                return true
            }
        }

        private mutating func graph(_ g: ByteCursor) throws {
            let w = self.w
            var g = g
            try w.fields(&g, "GraphProto") { field, wire, g in
                switch (field, wire) {
                case (1, 2): try node(try w.sub(&g, "node"))
                case (5, 2): try tensor(try w.sub(&g, "initializer"))
                case (15, 2):
                    _ = try w.sub(&g, "sparse_initializer")
                    sparseInitializers += 1
                default: return false
                }
                return true
            }
        }

        /// Keeps a `MatMul` or `Add` node's op type, inputs and outputs; other nodes are only framed.
        private mutating func node(_ n: ByteCursor) throws {
            let w = self.w
            var n = n
            var op = "", inputs: [String] = [], outputs: [String] = []
            try w.fields(&n, "NodeProto") { field, wire, n in
                switch (field, wire) {
                case (1, 2): inputs.append(try w.string(&n, "input"))
                case (2, 2): outputs.append(try w.string(&n, "output"))
                case (4, 2): op = try w.string(&n, "op_type")
                default: return false
                }
                return true
            }
            guard op == "MatMul" || op == "Add" else { return }
            try bound(nodes.count, "nodes")
            nodes.append((op, inputs, outputs))
        }

        private mutating func tensor(_ t: ByteCursor) throws {
            let w = self.w
            var t = t
            var r = RawTensor(offset: t.fileOffset)
            try w.fields(&t, "TensorProto") { field, wire, t in
                switch (field, wire) {
                case (1, 0): try appendDim(try w.varint(&t, "dims"), &r)
                case (1, 2):
                    var packed = try w.sub(&t, "dims")
                    while !packed.isAtEnd { try appendDim(try w.varint(&packed, "dims"), &r) }
                case (2, 0): r.dataType = Int(truncatingIfNeeded: try w.varint(&t, "data_type"))
                case (3, 2): throw w.err(.unsupported, "segmented tensors (TensorProto.segment) are not supported", t)
                case (6, 2): throw w.err(.unsupported, "string tensors are not supported", t)
                case (4, 2), (4, 5): try typed(&t, wire: wire, width: 4, &r, "float_data")
                case (10, 2), (10, 1): try typed(&t, wire: wire, width: 8, &r, "double_data")
                case (5, 2), (5, 0): try typed(&t, wire: wire, width: 4, &r, "int32_data")
                case (7, 2), (7, 0): try typed(&t, wire: wire, width: 8, &r, "int64_data")
                case (8, 2): r.name = try w.string(&t, "name")
                case (9, 2): r.raw = try w.range(&t, "raw_data")
                case (13, 2):
                    let (k, v) = try w.entry(try w.sub(&t, "external_data"))
                    try bound(r.external.count, "external_data entries")
                    r.external[k] = v
                case (14, 0): r.location = Int(truncatingIfNeeded: try w.varint(&t, "data_location"))
                default: return false
                }
                return true
            }
            guard names.insert(r.name).inserted else {
                throw CNZooError(.malformed, "two initializers share a name", file: path, tensor: r.name, offset: r.offset)
            }
            try bound(tensors.count, "initializers")
            tensors.append(r)
        }

        private func appendDim(_ v: UInt64, _ r: inout RawTensor) throws {
            guard r.dims.count < Limits.maxRank else {
                throw Limits.exceeded("maxRank", Limits.maxRank, "dims count", file: path, tensor: r.name, offset: r.offset)
            }
            guard let d = Int(exactly: Int64(bitPattern: v)), d >= 0 else {
                throw CNZooError(.malformed, "negative dimension", file: path, tensor: r.name, offset: r.offset)
            }
            r.dims.append(d)
        }

        /// Appends values of a typed field (packed or one at a time), stored little-endian at `width` bytes each.
        private func typed(_ c: inout ByteCursor, wire: UInt64, width: Int, _ r: inout RawTensor, _ what: String) throws {
            guard r.typedWidth == 0 || r.typedWidth == width else {
                throw w.err(.malformed, "\(what) mixed with another typed field", c)
            }
            r.typedWidth = width
            func one(_ c: inout ByteCursor, _ wire: UInt64) throws {
                let v: UInt64
                switch wire {
                case 0: v = try w.varint(&c, what)
                case 1: guard let x = c.readLE(UInt64.self) else { throw w.err(.truncated, "\(what) is cut off", c) }; v = x
                default: guard let x = c.readLE(UInt32.self) else { throw w.err(.truncated, "\(what) is cut off", c) }; v = UInt64(x)
                }
                withUnsafeBytes(of: v.littleEndian) { r.typed.append(contentsOf: $0.prefix(width)) }
                r.typedCount += 1
            }
            if wire == 2 {
                var packed = try w.sub(&c, what)
                let elementWire: UInt64 = what == "float_data" ? 5 : (what == "double_data" ? 1 : 0)
                while !packed.isAtEnd { try one(&packed, elementWire) }
            } else {
                try one(&c, wire)
            }
        }

        private func bound(_ count: Int, _ what: String) throws {
            guard count < Limits.maxTensors else {
                throw Limits.exceeded("maxTensors", Limits.maxTensors, "\(what) count", file: path)
            }
        }
    }

    /// torch.onnx.export (TorchScript exporter, constant folding on) writes `nn.Linear(x)` as
    /// `Add(MatMul(x, onnx::MatMul_N), <module>.bias)` with `onnx::MatMul_N` the weight transposed to [in, out]. The
    /// weight is restored as `<module>.weight` in the state-dict layout [out, in] when the pattern is exact and the
    /// name is free; anything else keeps the file's name.
    enum FoldedLinear {
        static func restore(_ tensors: inout [TensorEntry], nodes: [(op: String, inputs: [String], outputs: [String])]) -> Int {
            var index: [String: Int] = [:]
            for (i, t) in tensors.enumerated() { index[t.name] = i }
            var addByInput: [String: [String]] = [:]
            for n in nodes where n.op == "Add" && n.inputs.count == 2 {
                addByInput[n.inputs[0], default: []].append(n.inputs[1])
                addByInput[n.inputs[1], default: []].append(n.inputs[0])
            }
            var restored = 0
            for n in nodes where n.op == "MatMul" && n.inputs.count == 2 && n.outputs.count == 1 {
                guard n.inputs[1].hasPrefix("onnx::MatMul_"), let wi = index[n.inputs[1]],
                      let partners = addByInput[n.outputs[0]], partners.count == 1, partners[0].hasSuffix(".bias"),
                      let bias = index[partners[0]] else { continue }
                let name = String(partners[0].dropLast(".bias".count)) + ".weight"
                let t = tensors[wi]
                guard index[name] == nil, t.shape.count == 2, tensors[bias].shape == [t.shape[1]],
                      let width = t.dtype.byteWidth else { continue }
                tensors[wi] = TensorEntry(name: name, dtype: t.dtype, shape: [t.shape[1], t.shape[0]],
                                          data: transposed(t.data, rows: t.shape[0], cols: t.shape[1], width: width))
                index[name] = wi
                index[n.inputs[1]] = nil
                restored += 1
            }
            return restored
        }

        /// A lazy transpose of a row-major `rows × cols` matrix of `width`-byte elements.
        static func transposed(_ data: TensorData, rows: Int, cols: Int, width: Int) -> TensorData {
            TensorData(.computed({
                try data.withContiguousBytes { src in
                    var out = [UInt8](repeating: 0, count: src.count)
                    out.withUnsafeMutableBytes { dst in
                        for r in 0..<rows {
                            for c in 0..<cols {
                                let from = (r * cols + c) * width, to = (c * rows + r) * width
                                dst[to..<(to + width)].copyBytes(from: src[from..<(from + width)])
                            }
                        }
                    }
                    return out
                }
            }), byteCount: data.byteCount)
        }
    }

    /// Protobuf wire primitives over one buffer (a value type the parser copies before walking, so its field
    /// callbacks may update the parser).
    struct Wire {
        let bytes: UnsafeRawBufferPointer
        let path: String

        /// Runs `body` for each field of the message under `c`; `body` returns false for fields it does not
        /// consume, which are skipped by wire type.
        func fields(_ c: inout ByteCursor, _ message: String,
                            _ body: (UInt64, UInt64, inout ByteCursor) throws -> Bool) throws {
            while !c.isAtEnd {
                let at = c.fileOffset
                guard let key = c.readVarint() else { throw err(.truncated, "\(message) field key is cut off", c) }
                let field = key >> 3, wire = key & 7
                guard field != 0, field < 1 << 29 else {
                    throw CNZooError(.malformed, "invalid \(message) field key 0x\(String(key, radix: 16))", file: path,
                                     offset: at)
                }
                if try body(field, wire, &c) { continue }
                let ok: Bool
                switch wire {
                case 0: ok = c.readVarint() != nil
                case 1: ok = c.skip(8)
                case 2: _ = try range(&c, "\(message) field \(field)"); ok = true
                case 5: ok = c.skip(4)
                default:
                    throw CNZooError(.malformed, "\(message) field \(field) has wire type \(wire), which onnx.proto never "
                                         + "writes", file: path, offset: at)
                }
                guard ok else { throw CNZooError(.truncated, "\(message) field \(field) is cut off", file: path, offset: at) }
            }
        }

        func varint(_ c: inout ByteCursor, _ what: String) throws -> UInt64 {
            guard let v = c.readVarint() else { throw err(.truncated, "\(what) is cut off", c) }
            return v
        }

        /// A length-delimited field's payload as an absolute range.
        func range(_ c: inout ByteCursor, _ what: String) throws -> Range<Int> {
            let at = c.fileOffset
            guard let n = c.readVarint() else { throw err(.truncated, "\(what) length is cut off", c) }
            guard n <= UInt64(c.remaining) else {
                throw CNZooError(.truncated, "\(what) declares \(n) bytes but only \(c.remaining) remain", file: path,
                                 offset: at)
            }
            let start = c.fileOffset
            _ = c.skip(Int(n))
            return start..<(start + Int(n))
        }

        func sub(_ c: inout ByteCursor, _ what: String) throws -> ByteCursor {
            let r = try range(&c, what)
            return ByteCursor(UnsafeRawBufferPointer(rebasing: bytes[r]), baseOffset: r.lowerBound)
        }

        func string(_ c: inout ByteCursor, _ what: String) throws -> String {
            let at = c.fileOffset
            let r = try range(&c, what)
            guard r.count <= Limits.maxRecordHeaderBytes else {
                throw Limits.exceeded("maxRecordHeaderBytes", Limits.maxRecordHeaderBytes, "\(what) of \(r.count) bytes",
                                      file: path, offset: at)
            }
            guard let s = String(validating: UnsafeRawBufferPointer(rebasing: bytes[r]), as: UTF8.self) else {
                throw CNZooError(.malformed, "\(what) is not valid UTF-8", file: path, offset: at)
            }
            return s
        }

        func entry(_ e: ByteCursor) throws -> (String, String) {
            var e = e
            var key = "", value = ""
            try fields(&e, "StringStringEntryProto") { f, w, e in
                switch (f, w) {
                case (1, 2): key = try string(&e, "key")
                case (2, 2): value = try string(&e, "value")
                default: return false
                }
                return true
            }
            return (key, value)
        }

        func err(_ code: CNZooError.Code, _ message: String, _ c: ByteCursor) -> CNZooError {
            CNZooError(code, message, file: path, offset: c.fileOffset)
        }
    }
}
