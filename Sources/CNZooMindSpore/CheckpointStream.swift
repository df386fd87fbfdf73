import CNZooCore

/// A parsed and validated `.ckpt` stream, independent of where the bytes live: parameters with their byte ranges,
/// extras, and what the CRC trailer said. `MindSporeFormat.read` turns it into a `Checkpoint` over a mapped file.
struct CheckpointStream: Sendable {
    /// One parameter: consecutive records with the same tag, concatenated.
    struct Parameter: Sendable {
        var name: String
        var dtype: DType
        var shape: [Int]
        /// Absolute ranges of the `tensor_content` of each record, in order.
        var chunks: [Range<Int>]
        var byteCount: Int
    }

    /// The CRC trailer, if the file has one.
    struct Trailer: Sendable {
        /// The CRC stored in the trailer.
        var stored: UInt32
        /// The CRC computed over the records, or nil when verification was not asked for.
        var computed: UInt32?
        /// Offset of the trailer (= the length of the record stream).
        var offset: Int
    }

    var parameters: [Parameter] = []
    var extras: [CheckpointExtra] = []
    var notes: [String] = []
    var trailer: Trailer?

    /// Length of the `crc_num` trailer: the 7 ASCII bytes `crc_num` and the CRC as a 10-byte big-endian integer.
    static let trailerLength = 17
    static let trailerMagic = Array("crc_num".utf8)

    /// The cipher header MindSpore's `_encrypt` puts at the start of every encrypted block: a little-endian 32-bit
    /// magic `0x7F3A5E??` whose low byte names the mode.
    static let cipherModes: [UInt8: String] = [0xD8: "AES-GCM", 0xD9: "AES-CBC", 0xDA: "SM4-CBC"]

    /// The encryption mode if `bytes` starts with MindSpore's cipher header.
    static func encryptionMode(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard bytes.count >= 4, bytes[1] == 0x5E, bytes[2] == 0x3A, bytes[3] == 0x7F else { return nil }
        return cipherModes[bytes[0]]
    }

    /// Parses and validates a whole `.ckpt` buffer. With `verifyCRC`, a trailer's CRC is recomputed over every record
    /// byte and a mismatch is an `.integrity` error.
    static func parse(_ bytes: UnsafeRawBufferPointer, path: String?, verifyCRC: Bool = true) throws -> CheckpointStream {
        if let mode = encryptionMode(bytes) {
            throw CNZooError(.encrypted,
                             "the file looks encrypted (MindSpore \(mode) cipher header 0x7F3A5E"
                                 + CheckpointWire.hex(bytes[0]) + "); cnzoo does not decrypt checkpoints: load it with "
                                 + "mindspore.load_checkpoint(..., dec_key=...) and save it again without enc_key",
                             file: path, offset: 0)
        }
        var stream = CheckpointStream()
        var end = bytes.count
        if end >= trailerLength,
           zip(bytes[(end - trailerLength)..<(end - 10)], trailerMagic).allSatisfy({ $0 == $1 }) {
            var c = ByteCursor(UnsafeRawBufferPointer(rebasing: bytes[(end - 10)..<end]), baseOffset: end - 10)
            let high = c.readBE(UInt16.self) ?? 0
            let value = c.readBE(UInt64.self) ?? 0
            guard high == 0, value <= UInt64(UInt32.max) else {
                throw CNZooError(.malformed, "crc_num trailer holds a value wider than 32 bits", file: path,
                                 offset: end - trailerLength)
            }
            end -= trailerLength
            var trailer = Trailer(stored: UInt32(value), computed: nil, offset: end)
            if verifyCRC {
                let computed = CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<end]))
                trailer.computed = computed
                guard computed == trailer.stored else {
                    throw CNZooError(.integrity,
                                     "CRC mismatch: the crc_num trailer expects \(trailer.stored) (0x"
                                         + String(trailer.stored, radix: 16) + ") but the records hash to \(computed) (0x"
                                         + String(computed, radix: 16) + "); the file is damaged",
                                     file: path, offset: end)
                }
            }
            stream.trailer = trailer
        }
        let records = try CheckpointWire.records(in: UnsafeRawBufferPointer(rebasing: bytes[0..<end]), path: path)
        try stream.assemble(records, bytes: bytes, path: path)
        if let t = stream.trailer {
            stream.notes.append(t.computed == nil
                ? "crc_num trailer present (crc32 \(t.stored)), not verified"
                : "crc_num trailer present and verified (crc32 \(t.stored))")
        }
        return stream
    }

    /// Groups consecutive same-tag records into parameters and validates each group.
    private mutating func assemble(_ records: [CheckpointRecord], bytes: UnsafeRawBufferPointer,
                                   path: String?) throws {
        var seen: [String: Int] = [:]
        var i = 0
        while i < records.count {
            var j = i + 1
            while j < records.count, records[j].tag == records[i].tag { j += 1 }
            let group = records[i..<j]
            let first = records[i]
            if let earlier = seen[first.tag] {
                throw CNZooError(.malformed,
                                 "tag appears again after other records (first at byte \(earlier)); slices of one "
                                     + "parameter must be consecutive", file: path, tensor: first.tag,
                                 offset: first.offset)
            }
            seen[first.tag] = first.offset
            try add(group, bytes: bytes, path: path)
            i = j
        }
    }

    private mutating func add(_ group: ArraySlice<CheckpointRecord>, bytes: UnsafeRawBufferPointer,
                              path: String?) throws {
        guard let first = group.first else { return }
        let name = first.tag
        switch first.payload {
        case .empty:
            throw CNZooError(.malformed, "record holds neither a tensor nor a map tensor", file: path, tensor: name,
                             offset: first.offset)
        case .mapTensor:
            var parts = 0
            for r in group {
                guard case let .mapTensor(n) = r.payload else {
                    throw CNZooError(.malformed, "map tensor slices are mixed with other records", file: path,
                                     tensor: name, offset: r.offset)
                }
                parts += n
            }
            extras.append(CheckpointExtra(name: name, value: .opaque("MindSpore map tensor, \(parts) parts")))
            notes.append("'\(name)' is a MindSpore map tensor (MapParameter); kept as an opaque extra, not converted")
        case let .tensor(dims, type, _):
            var chunks: [Range<Int>] = []
            var total = 0
            for r in group {
                guard case let .tensor(d, t, content) = r.payload else {
                    throw CNZooError(.malformed, "tensor slices are mixed with map tensor records", file: path,
                                     tensor: name, offset: r.offset)
                }
                guard d == dims, t == type else {
                    throw CNZooError(.malformed,
                                     "slice declares dims \(d) and type \(t) but the first slice (byte \(first.offset)) "
                                         + "declared dims \(dims) and type \(type)", file: path, tensor: name,
                                     offset: r.offset)
                }
                guard let sum = Checked.add(total, content.count) else {
                    throw CNZooError(.malformed, "slice sizes overflow", file: path, tensor: name, offset: r.offset)
                }
                total = sum
                chunks.append(content)
            }
            if type == "str" {
                extras.append(CheckpointExtra(name: name, value: .string(try Self.decodeString(
                    chunks, bytes: bytes, total: total, path: path, tag: name, offset: first.offset))))
                return
            }
            guard let dtype = DType(mindsporeTypeName: type) else {
                extras.append(CheckpointExtra(name: name, value: .opaque("MindSpore tensor_type \(type), \(total) bytes")))
                notes.append("'\(name)' has tensor_type '\(type)', which cnzoo does not read; kept as an opaque extra")
                return
            }
            // MindSpore 1.x wrote scalars as dims [0]; 2.x writes no dims. Both are 0-d (as load_checkpoint does).
            var shape: [Int] = []
            if dims != [0] {
                for d in dims {
                    guard d >= 0 else {
                        throw CNZooError(.malformed, "negative dimension \(d) in dims \(dims)", file: path,
                                         tensor: name, offset: first.offset)
                    }
                    shape.append(Int(d))
                }
            }
            guard let expected = Checked.byteCount(shape, dtype) else {
                throw CNZooError(.malformed, "dims \(dims) of \(type) overflow", file: path, tensor: name,
                                 offset: first.offset)
            }
            guard expected == total else {
                throw CNZooError(.malformed,
                                 "tensor_content holds \(total) bytes in \(chunks.count) slice(s) but dims \(dims) of "
                                     + "\(type) need \(expected)", file: path, tensor: name, offset: first.offset)
            }
            parameters.append(Parameter(name: name, dtype: dtype, shape: shape, chunks: chunks, byteCount: total))
        }
    }

    /// Decodes a `str` value: NumPy `str_` bytes, UTF-32LE, 4 bytes per character, trailing NULs dropped (NumPy's
    /// fixed-width `U` strings pad with NUL).
    static func decodeString(_ chunks: [Range<Int>], bytes: UnsafeRawBufferPointer, total: Int, path: String?,
                             tag: String, offset: Int) throws -> String {
        guard total % 4 == 0 else {
            throw CNZooError(.malformed, "str value has \(total) bytes, not a multiple of 4 (UTF-32)", file: path,
                             tensor: tag, offset: offset)
        }
        guard total <= Limits.maxRecordHeaderBytes else {
            throw Limits.exceeded("maxRecordHeaderBytes", Limits.maxRecordHeaderBytes, "str value of \(total) bytes",
                                  file: path, tensor: tag, offset: offset)
        }
        var joined = [UInt8]()
        joined.reserveCapacity(total)
        for r in chunks { joined.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[r])) }
        var scalars = String.UnicodeScalarView()
        var k = 0
        while k < joined.count {
            let v = UInt32(joined[k]) | UInt32(joined[k + 1]) << 8 | UInt32(joined[k + 2]) << 16
                | UInt32(joined[k + 3]) << 24
            guard let s = Unicode.Scalar(v) else {
                throw CNZooError(.malformed, "str value holds 0x\(String(v, radix: 16)), not a Unicode scalar",
                                 file: path, tensor: tag, offset: offset)
            }
            scalars.append(s)
            k += 4
        }
        while let last = scalars.last, last.value == 0 { scalars.removeLast() }
        return String(scalars)
    }
}
