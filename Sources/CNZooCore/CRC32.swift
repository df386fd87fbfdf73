import CNZooKernelsC
import CZlib

/// The zlib / zip CRC-32 (reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF), chainable like
/// `zlib.crc32(data, previous)`: zip entries carry it, and MindSpore's `crc_num` trailer is this CRC chained over
/// every serialized record. Every byte of a `.pth` written by cnzoo passes through it, so the bulk of a buffer goes
/// through carry-less multiplication (`cnz_crc32_prefix`, PCLMULQDQ where the CPU has it) and the rest through
/// zlib's braided `crc32_z`.
public struct CRC32 {
    /// The CRC of everything fed so far (what `zlib.crc32` would return).
    public private(set) var value: UInt32

    /// Starts a CRC, optionally continuing from a previous value.
    public init(continuing previous: UInt32 = 0) { value = previous }

    /// Feeds bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let done = cnz_crc32_prefix(&value, base, bytes.count)
        guard done < bytes.count else { return }
        value = UInt32(truncatingIfNeeded: crc32_z(UInt(value), base.assumingMemoryBound(to: UInt8.self) + done,
                                                   bytes.count - done))
    }

    /// Feeds bytes.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The CRC of `bytes`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = CRC32()
        c.update(bytes)
        return c.value
    }

    /// The CRC of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
