import CNZooCore

/// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON, then a data buffer that the
/// header's `data_offsets` tile exactly. cnzoo's neutral on-disk format.
public enum SafeTensors: MappedCheckpointReader {
    /// Reads from an already mapped file.
    public static func read(file: MappedFile) throws -> Checkpoint {
        do {
            let header = try parseHeader(file.bytes)
            let entries = try validate(header, fileSize: file.size)
            let base = header.dataStart
            let tensors = entries.map { e in
                TensorEntry(name: e.name, dtype: e.dtype, shape: e.shape,
                            data: .file(file, (base + e.begin)..<(base + e.end)))
            }
            var metadata: [String: String] = [:]
            for (k, v) in header.metadata ?? [] { metadata[k] = v }
            return Checkpoint(tensors: tensors, metadata: metadata)
        } catch {
            throw CNZooError.wrap(error, file: file.path)
        }
    }

    /// The header bytes (length prefix included) a writer produces for `checkpoint`, tensors in checkpoint order.
    /// `format` metadata defaults to `pt` when the checkpoint has none. Keys are written sorted, so the same input
    /// always gives the same bytes.
    public static func headerBytes(for checkpoint: Checkpoint) throws -> [UInt8] {
        var seen = Set<String>()
        var json = "{"
        var metadata = checkpoint.metadata
        if metadata["format"] == nil { metadata["format"] = "pt" }
        json += "\"__metadata__\":{"
        for (i, k) in metadata.keys.sorted().enumerated() {
            if i > 0 { json += "," }
            JSONValue.writeString(k, into: &json)
            json += ":"
            JSONValue.writeString(metadata[k]!, into: &json)
        }
        json += "}"
        var offset = 0
        for t in checkpoint.tensors {
            guard t.name != "__metadata__" else {
                throw CNZooError(.malformed, "a tensor cannot be named __metadata__ in safetensors", tensor: t.name)
            }
            guard seen.insert(t.name).inserted else {
                throw CNZooError(.malformed, "duplicate tensor name", tensor: t.name)
            }
            guard t.dtype.isKnown else { throw CNZooError(.unsupported, "unknown dtype \(t.dtype)", tensor: t.name) }
            guard let size = Checked.byteCount(t.shape, t.dtype), size == t.byteCount else {
                throw CNZooError(.malformed, "shape \(t.shape) of \(t.dtype) does not match \(t.byteCount) data bytes",
                                 tensor: t.name)
            }
            json += ","
            JSONValue.writeString(t.name, into: &json)
            json += ":{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":["
            json += t.shape.map(String.init).joined(separator: ",")
            json += "],\"data_offsets\":[\(offset),\(offset + size)]}"
            offset += size
        }
        json += "}"
        var header = Array(json.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        guard header.count <= Limits.maxSafeTensorsHeaderBytes else {
            throw Limits.exceeded("maxSafeTensorsHeaderBytes", Limits.maxSafeTensorsHeaderBytes,
                                  "header of \(header.count) bytes")
        }
        var out = [UInt8]()
        out.reserveCapacity(8 + header.count)
        let n = UInt64(header.count)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: n >> (8 * UInt64(i)))) }
        out += header
        return out
    }

    /// Writes `checkpoint` atomically, streaming: header first, then one tensor at a time.
    public static func write(_ checkpoint: Checkpoint, to path: String, options: WriteOptions = WriteOptions()) throws {
        let header = try headerBytes(for: checkpoint)
        let out = try AtomicFileWriter(path: path, overwrite: options.overwrite)
        do {
            try out.write(header)
            let total = checkpoint.byteCount
            var done = 0
            for t in checkpoint.tensors {
                do {
                    try out.write(t.data)
                } catch {
                    throw CNZooError.wrap(error).forTensor(t.name)
                }
                done += t.byteCount
                options.progress?(done, total)
            }
            try out.commit()
        } catch {
            out.abort()
            throw CNZooError.wrap(error, file: path)
        }
    }
}
