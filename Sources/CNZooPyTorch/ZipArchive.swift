import CNZooCore

/// One member of a zip archive, located from the central directory and its local header.
public struct ZipEntry: Sendable {
    public let name: String
    /// Compression method (0 = stored).
    public let method: UInt16
    /// General-purpose flags (bit 0 = encrypted, bit 3 = data descriptor follows).
    public let flags: UInt16
    public let crc32: UInt32
    /// Size of the stored (possibly compressed) data.
    public let compressedSize: Int
    public let uncompressedSize: Int
    /// Offset of the local file header.
    public let localHeaderOffset: Int
    /// Offset of the first data byte (after the local header's name and extra field).
    public let dataOffset: Int

    /// Whether the entry is encrypted (traditional or strong encryption).
    public var isEncrypted: Bool { flags & 0x0001 != 0 || flags & 0x0040 != 0 }
    /// The file range holding the data.
    public var dataRange: Range<Int> { dataOffset..<(dataOffset + compressedSize) }
}

/// A read-only view of a zip archive in a mapped file: the central directory is parsed (zip64 included) and every
/// entry's data range computed and validated against the file size, so stored members can be read in place.
///
/// Only what `torch.save` produces is needed: stored members. Compressed or encrypted members are listed but
/// `storedData(_:)` refuses them with a specific error.
public struct ZipArchive: @unchecked Sendable {
    public let file: MappedFile
    /// Entries in central-directory order.
    public let entries: [ZipEntry]
    private let index: [String: Int]

    private static let eocdSignature: UInt32 = 0x0605_4B50
    private static let eocd64Signature: UInt32 = 0x0606_4B50
    private static let eocd64LocatorSignature: UInt32 = 0x0706_4B50
    private static let centralSignature: UInt32 = 0x0201_4B50
    private static let localSignature: UInt32 = 0x0403_4B50

    /// Parses the archive's directory. Throws `.malformed` / `.truncated` / `.limitExceeded` on a bad archive.
    public init(file: MappedFile) throws {
        self.file = file
        let bytes = file.bytes
        let path = file.path
        func fail(_ code: CNZooError.Code, _ msg: String, _ offset: Int? = nil) -> CNZooError {
            CNZooError(code, msg, file: path, offset: offset)
        }
        func u32(_ at: Int) -> UInt32? {
            guard at >= 0, let end = Checked.add(at, 4), end <= bytes.count else { return nil }
            var c = ByteCursor(UnsafeRawBufferPointer(rebasing: bytes[at..<end]))
            return c.readLE(UInt32.self)
        }

        // End of central directory: 22 bytes + a comment of at most 65535 bytes, searched backwards.
        guard bytes.count >= 22 else { throw fail(.truncated, "file too short for a zip archive (\(bytes.count) bytes)") }
        var eocd = -1
        let lowest = max(0, bytes.count - 22 - 0xFFFF)
        var p = bytes.count - 22
        while p >= lowest {
            if bytes[p] == 0x50, u32(p) == ZipArchive.eocdSignature {
                var c = ByteCursor(UnsafeRawBufferPointer(rebasing: bytes[(p + 20)..<(p + 22)]))
                if let commentLength = c.readLE(UInt16.self), p + 22 + Int(commentLength) <= bytes.count {
                    eocd = p
                    break
                }
            }
            p -= 1
        }
        guard eocd >= 0 else {
            throw fail(.malformed, "no zip end-of-central-directory record in the last 64 KiB (truncated or not a zip)")
        }
        var c = ByteCursor(UnsafeRawBufferPointer(rebasing: bytes[eocd..<(eocd + 22)]), baseOffset: eocd)
        _ = c.readLE(UInt32.self)
        guard let disk = c.readLE(UInt16.self), let cdDisk = c.readLE(UInt16.self),
              let diskEntries = c.readLE(UInt16.self), let totalEntries16 = c.readLE(UInt16.self),
              let cdSize32 = c.readLE(UInt32.self), let cdOffset32 = c.readLE(UInt32.self) else {
            throw fail(.truncated, "short end-of-central-directory record", eocd)
        }
        var totalEntries = Int(totalEntries16)
        var cdSize = Int(cdSize32)
        var cdOffset = Int(cdOffset32)
        var multiDisk = disk != 0 || cdDisk != 0 || diskEntries != totalEntries16

        // Zip64: a locator sits right before the classic record.
        if eocd >= 20, u32(eocd - 20) == ZipArchive.eocd64LocatorSignature {
            var l = ByteCursor(UnsafeRawBufferPointer(rebasing: bytes[(eocd - 20)..<eocd]), baseOffset: eocd - 20)
            _ = l.readLE(UInt32.self)
            guard let locDisk = l.readLE(UInt32.self), let recordOffset64 = l.readLE(UInt64.self),
                  let disks = l.readLE(UInt32.self) else { throw fail(.truncated, "short zip64 locator", eocd - 20) }
            guard recordOffset64 <= UInt64(eocd - 20), let recordOffset = Int(exactly: recordOffset64),
                  recordOffset + 56 <= eocd - 20, u32(recordOffset) == ZipArchive.eocd64Signature else {
                throw fail(.malformed, "zip64 locator points at \(recordOffset64), where there is no zip64 end record",
                           eocd - 20)
            }
            var r = ByteCursor(UnsafeRawBufferPointer(rebasing: bytes[recordOffset..<(recordOffset + 56)]),
                               baseOffset: recordOffset)
            _ = r.skip(4 + 8 + 2 + 2)
            guard let d = r.readLE(UInt32.self), let cdd = r.readLE(UInt32.self),
                  let de = r.readLE(UInt64.self), let te = r.readLE(UInt64.self),
                  let cs = r.readLE(UInt64.self), let co = r.readLE(UInt64.self) else {
                throw fail(.truncated, "short zip64 end record", recordOffset)
            }
            guard te <= UInt64(Limits.maxZipEntries) else {
                throw Limits.exceeded("maxZipEntries", Limits.maxZipEntries, "zip entry count \(te)", file: path)
            }
            guard cs <= UInt64(bytes.count), co <= UInt64(bytes.count) else {
                throw fail(.malformed, "zip64 central directory (offset \(co), size \(cs)) lies outside the file",
                           recordOffset)
            }
            totalEntries = Int(te)
            cdSize = Int(cs)
            cdOffset = Int(co)
            multiDisk = locDisk != 0 || disks > 1 || d != 0 || cdd != 0 || de != te
        }
        guard !multiDisk else { throw fail(.unsupported, "multi-disk (split) zip archives are not supported", eocd) }
        guard totalEntries <= Limits.maxZipEntries else {
            throw Limits.exceeded("maxZipEntries", Limits.maxZipEntries, "zip entry count \(totalEntries)", file: path)
        }
        guard let cdEnd = Checked.add(cdOffset, cdSize), cdEnd <= eocd else {
            throw fail(.malformed, "central directory (offset \(cdOffset), size \(cdSize)) overruns the end record at \(eocd)",
                       eocd)
        }
        guard let minSize = Checked.multiply(totalEntries, 46), minSize <= cdSize else {
            throw fail(.malformed, "central directory of \(cdSize) bytes cannot hold \(totalEntries) entries", cdOffset)
        }

        var cd = ByteCursor(UnsafeRawBufferPointer(rebasing: bytes[cdOffset..<cdEnd]), baseOffset: cdOffset)
        var entries: [ZipEntry] = []
        entries.reserveCapacity(totalEntries)
        var index: [String: Int] = [:]
        for _ in 0..<totalEntries {
            let at = cd.fileOffset
            guard let sig = cd.readLE(UInt32.self) else { throw fail(.truncated, "central directory ends early", at) }
            guard sig == ZipArchive.centralSignature else {
                throw fail(.malformed, "expected a central directory header (PK\\1\\2)", at)
            }
            guard cd.skip(4), let flags = cd.readLE(UInt16.self), let method = cd.readLE(UInt16.self), cd.skip(4),
                  let crc = cd.readLE(UInt32.self), let csize32 = cd.readLE(UInt32.self),
                  let usize32 = cd.readLE(UInt32.self), let nameLength = cd.readLE(UInt16.self),
                  let extraLength = cd.readLE(UInt16.self), let commentLength = cd.readLE(UInt16.self),
                  cd.skip(8), let local32 = cd.readLE(UInt32.self),
                  let nameBytes = cd.readBytes(Int(nameLength)), let extra = cd.readBytes(Int(extraLength)),
                  cd.skip(Int(commentLength)) else {
                throw fail(.truncated, "central directory entry ends early", at)
            }
            guard let name = String(validating: nameBytes, as: UTF8.self) else {
                throw fail(.malformed, "zip entry name is not valid UTF-8", at)
            }
            if let why = ZipArchive.unsafeNameReason(name) {
                throw fail(.malformed, "zip entry name '\(name)' \(why); torch.save writes only relative names", at)
            }
            var csize = UInt64(csize32), usize = UInt64(usize32), local = UInt64(local32)
            // Zip64 extended information: only the fields whose 32-bit value is saturated, in this order.
            var e = ByteCursor(extra, baseOffset: at + 46 + Int(nameLength))
            while e.remaining >= 4 {
                guard let id = e.readLE(UInt16.self), let len = e.readLE(UInt16.self),
                      let body = e.readBytes(Int(len)) else {
                    throw fail(.malformed, "extra field of '\(name)' overruns its length", e.fileOffset)
                }
                guard id == 0x0001 else { continue }
                var z = ByteCursor(body, baseOffset: e.fileOffset - Int(len))
                func next() throws -> UInt64 {
                    guard let v = z.readLE(UInt64.self) else {
                        throw fail(.malformed, "zip64 extra field of '\(name)' is too short", z.fileOffset)
                    }
                    return v
                }
                if usize32 == 0xFFFF_FFFF { usize = try next() }
                if csize32 == 0xFFFF_FFFF { csize = try next() }
                if local32 == 0xFFFF_FFFF { local = try next() }
            }
            guard let cs = Int(exactly: csize), let us = Int(exactly: usize), let lo = Int(exactly: local),
                  lo <= cdOffset else {
                throw fail(.malformed, "entry '\(name)' has sizes/offset beyond the file", at)
            }
            // Local header: its own name and extra lengths decide where the data starts.
            guard let lhEnd = Checked.add(lo, 30), lhEnd <= bytes.count, u32(lo) == ZipArchive.localSignature else {
                throw fail(.malformed, "entry '\(name)': no local file header at \(lo)", lo)
            }
            var lh = ByteCursor(UnsafeRawBufferPointer(rebasing: bytes[(lo + 26)..<(lo + 30)]), baseOffset: lo + 26)
            guard let ln = lh.readLE(UInt16.self), let le = lh.readLE(UInt16.self) else {
                throw fail(.truncated, "short local header", lo)
            }
            guard let dataOffset = Checked.add(lhEnd, Int(ln) + Int(le)), let dataEnd = Checked.add(dataOffset, cs),
                  dataEnd <= cdOffset else {
                throw fail(.malformed, "entry '\(name)': data (\(cs) bytes after the local header at \(lo)) runs past the central directory",
                           lo)
            }
            guard index[name] == nil else { throw fail(.malformed, "duplicate zip entry name '\(name)'", at) }
            index[name] = entries.count
            entries.append(ZipEntry(name: name, method: method, flags: flags, crc32: crc, compressedSize: cs,
                                    uncompressedSize: us, localHeaderOffset: lo, dataOffset: dataOffset))
        }
        // No two members may share bytes (overlapping entries are a zip-bomb / confusion trick).
        let sorted = entries.sorted { $0.localHeaderOffset < $1.localHeaderOffset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.dataRange.upperBound > b.localHeaderOffset {
            throw fail(.malformed, "zip entries '\(a.name)' and '\(b.name)' overlap", b.localHeaderOffset)
        }
        self.entries = entries
        self.index = index
    }

    /// Why `name` is a path trick (absolute, a `..` component with `/` or `\\` separators, a NUL), or nil if it is a
    /// plain relative name. cnzoo never extracts members, but a name that escapes its folder is never written by
    /// torch.save and only serves to confuse tools that do.
    static func unsafeNameReason(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.utf8.contains(0) { return "contains a NUL byte" }
        if name.hasPrefix("/") || name.hasPrefix("\\") { return "is absolute" }
        let u = Array(name.utf8)
        if u.count >= 2, u[1] == UInt8(ascii: ":"), (UInt8(ascii: "A")...UInt8(ascii: "z")).contains(u[0]) {
            return "is absolute (a drive letter)"
        }
        let components = name.split(omittingEmptySubsequences: false) { $0 == "/" || $0 == "\\" }
        if components.contains("..") { return "has a '..' component" }
        return nil
    }

    /// The entry named exactly `name`.
    public func entry(_ name: String) -> ZipEntry? { index[name].map { entries[$0] } }

    /// The file range of a stored, unencrypted entry's bytes; throws a specific error otherwise.
    public func storedRange(_ entry: ZipEntry) throws -> Range<Int> {
        guard !entry.isEncrypted else {
            throw CNZooError(.encrypted, "zip entry '\(entry.name)' is encrypted; cnzoo reads only unencrypted archives",
                             file: file.path, offset: entry.localHeaderOffset)
        }
        guard entry.method == 0 else {
            let how = entry.method == 8 ? "DEFLATE-compressed" : "compressed (method \(entry.method))"
            throw CNZooError(.unsupported,
                             "zip entry '\(entry.name)' is \(how); torch.save stores entries uncompressed — re-save the file with torch.save",
                             file: file.path, offset: entry.localHeaderOffset)
        }
        guard entry.compressedSize == entry.uncompressedSize else {
            throw CNZooError(.malformed, "stored zip entry '\(entry.name)' has compressed size \(entry.compressedSize) ≠ size \(entry.uncompressedSize)",
                             file: file.path, offset: entry.localHeaderOffset)
        }
        return entry.dataRange
    }

    /// Checks every entry's stored bytes against the CRC-32 in its central-directory record; throws `.integrity`
    /// naming the first entry that differs (and its data offset), or the error `storedBytes` gives for an entry
    /// that cannot be read in place. Returns the number of entries checked.
    @discardableResult
    public func verifyCRCs() throws -> Int {
        for entry in entries {
            let actual = CRC32.checksum(try storedBytes(entry))
            guard actual == entry.crc32 else {
                throw CNZooError(.integrity, "zip entry '\(entry.name)': CRC-32 of its \(entry.compressedSize) bytes is "
                                 + Self.hex(actual) + ", the central directory records " + Self.hex(entry.crc32)
                                 + " (the file is damaged)", file: file.path, offset: entry.dataOffset)
            }
        }
        return entries.count
    }

    private static func hex(_ v: UInt32) -> String {
        let digits = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// The bytes of a stored entry, in place.
    public func storedBytes(_ entry: ZipEntry) throws -> UnsafeRawBufferPointer {
        let r = try storedRange(entry)
        guard let region = file.region(r) else {
            throw CNZooError(.truncated, "zip entry '\(entry.name)' lies outside the file", file: file.path)
        }
        return region
    }
}
