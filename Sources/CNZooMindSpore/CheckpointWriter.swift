import CNZooCore

extension MindSporeFormat {
    /// Writes `checkpoint` as a `.ckpt` stream the way MindSpore 2.x `save_checkpoint` does: one record per tensor
    /// (`Checkpoint { value: [Value { tag, tensor { dims…, tensor_type, tensor_content } }] }`, fields in number
    /// order, dims unpacked), tensors larger than 512 MiB split into several records that each repeat tag, dims and
    /// type, scalars with no dims, then the string extras as `str` records (dims `[0]`, UTF-32LE content).
    ///
    /// Integer, float and bool extras become 0-d `Int64` / `Float64` / `Bool` tensors (MindSpore has no other place
    /// for them); opaque extras have no MindSpore form and are not written. With `options.crc` the 17-byte `crc_num`
    /// trailer is appended. Everything is validated before the output is created; bytes stream through
    /// `AtomicFileWriter`, so a failure leaves no partial file. The same checkpoint always gives the same bytes.
    public static func write(_ checkpoint: Checkpoint, to path: String, options: WriteOptions = WriteOptions()) throws {
        try write(checkpoint, to: path, options: options, sliceBytes: defaultSliceBytes)
    }

    /// One record group to write.
    private struct Item {
        var name: String
        var typeName: String
        var dims: [Int]
        var byteCount: Int
        var data: TensorData
    }

    /// `write` with an explicit slice size (tests use a tiny one to exercise slicing).
    static func write(_ checkpoint: Checkpoint, to path: String, options: WriteOptions, sliceBytes: Int) throws {
        precondition(sliceBytes > 0, "slice size must be positive")
        let items: [Item]
        do {
            items = try plan(checkpoint)
        } catch {
            throw CNZooError.wrap(error, file: path)
        }
        let out = try AtomicFileWriter(path: path, overwrite: options.overwrite)
        do {
            var crc: CRC32? = options.crc ? CRC32() : nil  // computed only when the trailer is asked for
            let total = items.reduce(0) { $0 + $1.byteCount }
            var done = 0
            for item in items {
                do {
                    try writeItem(item, sliceBytes: sliceBytes, to: out, crc: &crc)
                } catch {
                    throw CNZooError.wrap(error).forTensor(item.name)
                }
                done += item.byteCount
                options.progress?(done, total)
            }
            if let crc {
                var trailer = CheckpointStream.trailerMagic
                trailer += [0, 0]
                for shift in stride(from: 56, through: 0, by: -8) {
                    trailer.append(UInt8(truncatingIfNeeded: UInt64(crc.value) >> UInt64(shift)))
                }
                try out.write(trailer)
            }
            try out.commit()
        } catch {
            out.abort()
            throw CNZooError.wrap(error, file: path)
        }
    }

    /// Validates the checkpoint and lists what will be written, before any file is created.
    private static func plan(_ checkpoint: Checkpoint) throws -> [Item] {
        var items: [Item] = []
        var names = Set<String>()
        func claim(_ name: String) throws {
            guard names.insert(name).inserted else {
                throw CNZooError(.malformed, "name used twice; MindSpore would merge the two records into one "
                                     + "parameter", tensor: name)
            }
        }
        for t in checkpoint.tensors {
            try claim(t.name)
            guard let typeName = t.dtype.mindsporeTypeName else {
                throw CNZooError(.unsupported, "MindSpore checkpoints cannot hold dtype \(t.dtype) (no tensor_type for "
                                     + "it); convert the tensor to a supported dtype first", tensor: t.name)
            }
            guard t.shape.count <= Limits.maxRank else {
                throw Limits.exceeded("maxRank", Limits.maxRank, "rank \(t.shape.count)", tensor: t.name)
            }
            guard t.shape != [0] else {
                throw CNZooError(.unsupported, "a 1-D tensor of length 0 cannot be written: MindSpore reads dims [0] as "
                                     + "a scalar", tensor: t.name)
            }
            guard let size = Checked.byteCount(t.shape, t.dtype), size == t.byteCount else {
                throw CNZooError(.malformed, "shape \(t.shape) of \(t.dtype) does not match \(t.byteCount) data bytes",
                                 tensor: t.name)
            }
            items.append(Item(name: t.name, typeName: typeName, dims: t.shape, byteCount: size, data: t.data))
        }
        for e in checkpoint.extras {
            let bytes: [UInt8]
            let typeName: String
            var dims: [Int] = []
            switch e.value {
            case let .string(s):
                typeName = "str"
                dims = [0]
                bytes = s.isEmpty ? [0, 0, 0, 0] : utf32LE(s)  // NumPy stores "" as one NUL character
            case let .int(v):
                typeName = "Int64"
                bytes = littleEndian(UInt64(bitPattern: v))
            case let .float(v):
                typeName = "Float64"
                bytes = littleEndian(v.bitPattern)
            case let .bool(v):
                typeName = "Bool"
                bytes = [v ? 1 : 0]
            case .opaque:
                continue
            }
            try claim(e.name)
            items.append(Item(name: e.name, typeName: typeName, dims: dims, byteCount: bytes.count, data: .bytes(bytes)))
        }
        return items
    }

    /// Writes one parameter as one or more records of at most `sliceBytes` content each.
    private static func writeItem(_ item: Item, sliceBytes: Int, to out: AtomicFileWriter, crc: inout CRC32?) throws {
        var sliceLengths: [Int] = []
        var left = item.byteCount
        repeat {
            let n = min(left, sliceBytes)
            sliceLengths.append(n)
            left -= n
        } while left > 0
        let tag = Array(item.name.utf8)
        let type = Array(item.typeName.utf8)
        var dimBytes: [UInt8] = []
        for d in item.dims {
            dimBytes.append(0x08)
            appendVarint(UInt64(d), to: &dimBytes)
        }
        func header(contentLength: Int) -> [UInt8] {
            let tensorLength = dimBytes.count + 1 + varintSize(type.count) + type.count + 1
                + varintSize(contentLength) + contentLength
            let valueLength = 1 + varintSize(tag.count) + tag.count + 1 + varintSize(tensorLength) + tensorLength
            var h: [UInt8] = [0x0A]
            h.reserveCapacity(32 + tag.count + type.count + dimBytes.count)
            appendVarint(UInt64(valueLength), to: &h)
            h.append(0x0A)
            appendVarint(UInt64(tag.count), to: &h)
            h += tag
            h.append(0x12)
            appendVarint(UInt64(tensorLength), to: &h)
            h += dimBytes
            h.append(0x12)
            appendVarint(UInt64(type.count), to: &h)
            h += type
            h.append(0x1A)
            appendVarint(UInt64(contentLength), to: &h)
            return h
        }
        func emit(_ b: UnsafeRawBufferPointer) throws {
            try out.write(b)
            crc?.update(b)
        }
        var slice = 0
        var inSlice = 0
        var written = 0
        try header(contentLength: sliceLengths[0]).withUnsafeBytes { try emit($0) }
        if crc == nil, sliceLengths.count == 1 {
            // One record and no checksum to feed: hand the whole source to the writer (kernel copy when mapped).
            let before = out.bytesWritten
            try out.write(item.data)
            guard out.bytesWritten - before == item.byteCount else {
                throw CNZooError(.malformed, "tensor data yielded \(out.bytesWritten - before) bytes, expected \(item.byteCount)")
            }
            return
        }
        try item.data.forEachChunk { piece in
            var offset = 0
            while offset < piece.count {
                if inSlice == sliceLengths[slice] {
                    guard slice + 1 < sliceLengths.count else {
                        throw CNZooError(.malformed, "tensor data yields more than its \(item.byteCount) bytes")
                    }
                    slice += 1
                    inSlice = 0
                    try header(contentLength: sliceLengths[slice]).withUnsafeBytes { try emit($0) }
                }
                let n = min(piece.count - offset, sliceLengths[slice] - inSlice)
                try emit(UnsafeRawBufferPointer(rebasing: piece[offset..<(offset + n)]))
                offset += n
                inSlice += n
                written += n
            }
        }
        guard written == item.byteCount else {
            throw CNZooError(.malformed, "tensor data yielded \(written) bytes, expected \(item.byteCount)")
        }
    }

    static func varintSize(_ n: Int) -> Int {
        var v = UInt64(n)
        var size = 1
        while v >= 0x80 { v >>= 7; size += 1 }
        return size
    }

    static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    /// A string as NumPy `str_` bytes: UTF-32LE, 4 bytes per Unicode scalar.
    static func utf32LE(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.unicodeScalars.count * 4)
        for u in s.unicodeScalars { out += littleEndian(u.value) }
        return out
    }

    static func littleEndian<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
        (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }
    }
}
