/// A bounds-checked forward reader over raw bytes. Every read returns nil on short input instead of trapping
/// (the swift-nio `ByteBuffer` habit); callers turn nil into a `.truncated` error that names the offset.
public struct ByteCursor {
    public let bytes: UnsafeRawBufferPointer
    /// Offset of the next byte to read, relative to `bytes`.
    public private(set) var position: Int
    /// Added to `position` when reporting offsets (the buffer's offset inside its file).
    public let baseOffset: Int

    public init(_ bytes: UnsafeRawBufferPointer, baseOffset: Int = 0) {
        self.bytes = bytes
        self.position = 0
        self.baseOffset = baseOffset
    }

    /// Bytes not yet read.
    public var remaining: Int { bytes.count - position }
    /// Whether every byte has been read.
    public var isAtEnd: Bool { position >= bytes.count }
    /// The absolute file offset of the next byte.
    public var fileOffset: Int { baseOffset + position }

    public mutating func readByte() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    /// Reads a little-endian fixed-width integer.
    public mutating func readLE<T: FixedWidthInteger>(_: T.Type = T.self) -> T? {
        let n = MemoryLayout<T>.size
        guard remaining >= n else { return nil }
        var v: T = 0
        for i in 0..<n { v |= T(truncatingIfNeeded: bytes[position + i]) << (8 * i) }
        position += n
        return v
    }

    /// Reads a big-endian fixed-width integer.
    public mutating func readBE<T: FixedWidthInteger>(_: T.Type = T.self) -> T? {
        let n = MemoryLayout<T>.size
        guard remaining >= n else { return nil }
        var v: T = 0
        for i in 0..<n { v = (v << 8) | T(truncatingIfNeeded: bytes[position + i]) }
        position += n
        return v
    }

    /// Returns the next `count` bytes without copying, or nil if fewer remain (or `count` is negative).
    public mutating func readBytes(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, remaining >= count else { return nil }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    /// Reads bytes up to (not including) `delimiter`, consuming the delimiter; nil if it never appears within
    /// `maxLength` bytes.
    public mutating func readUntil(_ delimiter: UInt8, maxLength: Int) -> UnsafeRawBufferPointer? {
        var i = position
        let end = min(bytes.count, position + maxLength + 1)
        while i < end {
            if bytes[i] == delimiter {
                let r = UnsafeRawBufferPointer(rebasing: bytes[position..<i])
                position = i + 1
                return r
            }
            i += 1
        }
        return nil
    }

    /// Reads a protobuf-style base-128 varint (at most 10 bytes).
    public mutating func readVarint() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var p = position
        while p < bytes.count, shift < 64 {
            let b = bytes[p]
            result |= UInt64(b & 0x7F) << shift
            p += 1
            if b & 0x80 == 0 {
                position = p
                return result
            }
            shift += 7
        }
        return nil
    }

    /// Skips `count` bytes; false (and no movement) if fewer remain.
    public mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, remaining >= count else { return false }
        position += count
        return true
    }

    /// Moves to an absolute position within the buffer; false if out of range.
    public mutating func seek(to newPosition: Int) -> Bool {
        guard newPosition >= 0, newPosition <= bytes.count else { return false }
        position = newPosition
        return true
    }
}
