import CNZooCore

/// Writes a zip archive laid out like torch's `PyTorchStreamWriter`: stored members whose data starts on a 64-byte
/// boundary (padding in an `FB` local extra field of `Z` bytes), local headers with zero CRC/sizes followed by data
/// descriptors, a central directory, a zip64 end record + locator (always, as torch writes them) and zip64 extra
/// fields when sizes or offsets need them. Timestamps are zero like torch's, so the same members give the same bytes.
struct TorchZipWriter {
    static let alignment = 64
    /// DOS date and time fields: zero, as torch writes them.
    static let dosDate: UInt16 = 0
    static let dosTime: UInt16 = 0
    /// bit 3 (data descriptor) + bit 11 (UTF-8 names), as torch writes.
    static let flags: UInt16 = 0x0808

    private struct Central {
        let name: [UInt8]
        let crc: UInt32
        let size: Int
        let offset: Int
    }

    let out: AtomicFileWriter
    private var central: [Central] = []

    init(out: AtomicFileWriter) { self.out = out }

    private static func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
    private static func u16(_ v: Int) -> [UInt8] { le(UInt64(v), 2) }
    private static func u32(_ v: UInt64) -> [UInt8] { le(v, 4) }

    /// Writes one member whose bytes come from `body` (which hands chunks to `emit`); `size` must be exact.
    mutating func addEntry(_ name: String, size: Int, body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let nameBytes = Array(name.utf8)
        let offset = try beginEntry(nameBytes)
        var crc = CRC32()
        var written = 0
        try body { chunk in
            crc.update(chunk)
            written += chunk.count
            try out.write(chunk)
        }
        try endEntry(nameBytes, offset: offset, crc: crc.value, size: size, written: written)
    }

    /// Writes one member holding `data`. Bytes stored verbatim in a mapped file are checksummed over the mapping
    /// (prefaulted in one call per range) and then copied by the kernel (`AtomicFileWriter.write(_: TensorData)`,
    /// as `cp` copies), instead of being pushed through `write(2)` from this process: that page copy was two thirds
    /// of a `.ckpt → .pth` conversion. Other sources stream chunk by chunk.
    mutating func addEntry(_ name: String, data: TensorData) throws {
        guard let (file, ranges) = data.fileRanges else {
            return try addEntry(name, size: data.byteCount) { emit in try data.forEachChunk(emit) }
        }
        let nameBytes = Array(name.utf8)
        let offset = try beginEntry(nameBytes)
        var crc = CRC32()
        for r in ranges {
            guard let region = file.region(r) else {
                throw CNZooError(.truncated, "tensor data \(r) lies outside the file (size \(file.size))", file: file.path)
            }
            file.prefault(r)
            crc.update(region)
        }
        let before = out.bytesWritten
        try out.write(data)
        try endEntry(nameBytes, offset: offset, crc: crc.value, size: data.byteCount, written: out.bytesWritten - before)
    }

    /// Writes a member's local header (with the alignment padding); returns the header's offset.
    private func beginEntry(_ nameBytes: [UInt8]) throws -> Int {
        let offset = out.bytesWritten
        let start = offset + 30 + nameBytes.count + 4
        let padding = (TorchZipWriter.alignment - start % TorchZipWriter.alignment) % TorchZipWriter.alignment
        var header: [UInt8] = TorchZipWriter.u32(0x0403_4B50)
        header += TorchZipWriter.u16(0)                          // version needed (torch writes 0)
        header += TorchZipWriter.u16(Int(TorchZipWriter.flags))
        header += TorchZipWriter.u16(0)                          // stored
        header += TorchZipWriter.u16(Int(TorchZipWriter.dosTime)) + TorchZipWriter.u16(Int(TorchZipWriter.dosDate))
        header += TorchZipWriter.u32(0) + TorchZipWriter.u32(0) + TorchZipWriter.u32(0)  // crc, sizes: in the descriptor
        header += TorchZipWriter.u16(nameBytes.count) + TorchZipWriter.u16(4 + padding)
        header += nameBytes
        header += [0x46, 0x42] + TorchZipWriter.u16(padding) + [UInt8](repeating: 0x5A, count: padding)
        try out.write(header)
        return offset
    }

    /// Checks the member's size and writes its data descriptor.
    private mutating func endEntry(_ nameBytes: [UInt8], offset: Int, crc: UInt32, size: Int, written: Int) throws {
        guard written == size else {
            throw CNZooError(.io, "member '\(String(decoding: nameBytes, as: UTF8.self))' produced \(written) bytes, expected \(size)",
                             file: out.path)
        }
        let big = size >= 0xFFFF_FFFF
        var descriptor = TorchZipWriter.u32(0x0807_4B50) + TorchZipWriter.u32(UInt64(crc))
        descriptor += big ? TorchZipWriter.le(UInt64(size), 8) + TorchZipWriter.le(UInt64(size), 8)
                          : TorchZipWriter.u32(UInt64(size)) + TorchZipWriter.u32(UInt64(size))
        try out.write(descriptor)
        central.append(Central(name: nameBytes, crc: crc, size: size, offset: offset))
    }

    /// Writes a small member held in memory.
    mutating func addEntry(_ name: String, bytes: [UInt8]) throws {
        try addEntry(name, size: bytes.count) { emit in try bytes.withUnsafeBytes { try emit($0) } }
    }

    /// Writes the central directory and end records.
    func finish() throws {
        let cdOffset = out.bytesWritten
        for c in central {
            let bigSize = c.size >= 0xFFFF_FFFF, bigOffset = c.offset >= 0xFFFF_FFFF
            var extra: [UInt8] = []
            if bigSize || bigOffset {
                var body: [UInt8] = []
                if bigSize { body += TorchZipWriter.le(UInt64(c.size), 8) + TorchZipWriter.le(UInt64(c.size), 8) }
                if bigOffset { body += TorchZipWriter.le(UInt64(c.offset), 8) }
                extra = TorchZipWriter.u16(1) + TorchZipWriter.u16(body.count) + body
            }
            var h = TorchZipWriter.u32(0x0201_4B50)
            h += TorchZipWriter.u16(bigSize || bigOffset ? 45 : 0)  // version made by (torch: 0)
            h += TorchZipWriter.u16(bigSize || bigOffset ? 45 : 0)  // version needed (torch: 0)
            h += TorchZipWriter.u16(Int(TorchZipWriter.flags)) + TorchZipWriter.u16(0)
            h += TorchZipWriter.u16(Int(TorchZipWriter.dosTime)) + TorchZipWriter.u16(Int(TorchZipWriter.dosDate))
            h += TorchZipWriter.u32(UInt64(c.crc))
            let size32: UInt64 = bigSize ? 0xFFFF_FFFF : UInt64(c.size)
            h += TorchZipWriter.u32(size32) + TorchZipWriter.u32(size32)
            h += TorchZipWriter.u16(c.name.count) + TorchZipWriter.u16(extra.count) + TorchZipWriter.u16(0)
            h += TorchZipWriter.u16(0) + TorchZipWriter.u16(0) + TorchZipWriter.u32(0)  // disk, internal, external attrs
            h += TorchZipWriter.u32(bigOffset ? 0xFFFF_FFFF : UInt64(c.offset))
            h += c.name + extra
            try out.write(h)
        }
        let cdSize = out.bytesWritten - cdOffset
        let needs64 = central.count >= 0xFFFF || cdOffset >= 0xFFFF_FFFF || cdSize >= 0xFFFF_FFFF
        let recordOffset = out.bytesWritten
        var r = TorchZipWriter.u32(0x0606_4B50) + TorchZipWriter.le(44, 8)
        r += TorchZipWriter.u16(0x031E) + TorchZipWriter.u16(45) + TorchZipWriter.u32(0) + TorchZipWriter.u32(0)
        r += TorchZipWriter.le(UInt64(central.count), 8) + TorchZipWriter.le(UInt64(central.count), 8)
        r += TorchZipWriter.le(UInt64(cdSize), 8) + TorchZipWriter.le(UInt64(cdOffset), 8)
        r += TorchZipWriter.u32(0x0706_4B50) + TorchZipWriter.u32(0) + TorchZipWriter.le(UInt64(recordOffset), 8)
        r += TorchZipWriter.u32(1)
        try out.write(r)
        var e = TorchZipWriter.u32(0x0605_4B50) + TorchZipWriter.u16(0) + TorchZipWriter.u16(0)
        let n16 = needs64 ? 0xFFFF : central.count
        e += TorchZipWriter.u16(n16) + TorchZipWriter.u16(n16)
        e += TorchZipWriter.u32(needs64 ? 0xFFFF_FFFF : UInt64(cdSize))
        e += TorchZipWriter.u32(needs64 ? 0xFFFF_FFFF : UInt64(cdOffset))
        e += TorchZipWriter.u16(0)
        try out.write(e)
    }
}
