import CNZooCore

/// The facts cnzoo checks in an HDF5 superblock before libhdf5 sees the file (the first layer of defence: most
/// truncated or shifted files stop here, in Swift, with a precise message).
public struct HDF5Superblock: Sendable, Equatable {
    /// The eight-byte HDF5 signature (`\x89HDF\r\n\x1a\n`).
    public static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Superblock version (0–3).
    public let version: Int
    /// The end-of-file address the superblock records.
    public let endOfFile: UInt64

    /// Parses and checks the superblock at the start of `bytes`: version 0–3, 8-byte offsets and lengths (what
    /// h5py and Keras write), base address 0 (no user block), and an end-of-file address inside the file, so a
    /// truncated file is refused here.
    public init(_ bytes: UnsafeRawBufferPointer) throws {
        var c = ByteCursor(bytes)
        guard let sig = c.readBytes(8), Array(sig) == HDF5Superblock.signature else {
            throw CNZooError(.unknownFormat, "not an HDF5 file (no signature at byte 0)", offset: 0)
        }
        guard let v = c.readByte() else { throw CNZooError(.truncated, "HDF5 superblock is cut off", offset: 8) }
        version = Int(v)
        let offsetSize: UInt8?
        let lengthSize: UInt8?
        switch v {
        case 0, 1:
            _ = c.skip(4)                       // free-space, root symbol table, reserved, shared header versions
            offsetSize = c.readByte()
            lengthSize = c.readByte()
            _ = c.skip(1 + 4 + 4 + (v == 1 ? 4 : 0))  // reserved, leaf/internal K, flags, [indexed K + reserved]
        case 2, 3:
            offsetSize = c.readByte()
            lengthSize = c.readByte()
            _ = c.skip(1)                       // flags
        default:
            throw CNZooError(.unsupported, "HDF5 superblock version \(v) (0–3 are read)", offset: 8)
        }
        guard let os = offsetSize, let ls = lengthSize else {
            throw CNZooError(.truncated, "HDF5 superblock is cut off", offset: c.fileOffset)
        }
        guard os == 8, ls == 8 else {
            throw CNZooError(.unsupported, "HDF5 offsets of \(os) and lengths of \(ls) bytes (8 and 8 are read)",
                             offset: c.fileOffset)
        }
        guard let base = c.readLE(UInt64.self), c.skip(8), let eof = c.readLE(UInt64.self) else {
            throw CNZooError(.truncated, "HDF5 superblock is cut off", offset: c.fileOffset)
        }
        guard base == 0 else {
            throw CNZooError(.unsupported, "HDF5 base address \(base): files with a user block are not read", offset: 8)
        }
        guard eof <= UInt64(bytes.count) else {
            throw CNZooError(.truncated, "HDF5 file is truncated: the superblock says it ends at byte \(eof), it has \(bytes.count)")
        }
        guard eof >= UInt64(c.position) else {
            throw CNZooError(.malformed, "HDF5 end-of-file address \(eof) lies inside the superblock")
        }
        endOfFile = eof
    }
}
