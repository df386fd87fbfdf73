import CNZooCore

extension DetectedFormat {
    /// A MindSpore `.ckpt` protobuf stream (or an encrypted one, which the reader refuses by name).
    public static let mindspore = DetectedFormat(.mindspore)
}

/// MindSpore `.ckpt` as a `FormatPlugin`.
public struct MindSporePlugin: FormatPlugin {
    public init() {}
    public var format: CheckpointFormat { .mindspore }
    public var summary: String { "MindSpore .ckpt: protobuf record stream, optional crc_num trailer" }
    public var fileExtension: String { "ckpt" }
    public var canRead: Bool { true }
    public var canWrite: Bool { true }

    /// A record (`0A <varint len> 0A <varint taglen> <tag>`: field 1 of Checkpoint, whose first field is the string
    /// tag), an encrypted header (the reader refuses it with a specific error), or an empty checkpoint saved with
    /// `crc_check=True`, which is just the 17-byte `crc_num` trailer.
    public func detect(_ probe: FormatProbe) -> FormatMatch? {
        let found = probe.head.withUnsafeBytes { head in
            MindSporeFormat.looksEncrypted(head) || Self.looksLikeRecord(head, fileSize: probe.size)
        } || (probe.size == CheckpointStream.trailerLength && probe.starts(with: CheckpointStream.trailerMagic))
        return found ? FormatMatch(.mindspore, .heuristic) : nil
    }

    private static func looksLikeRecord(_ head: UnsafeRawBufferPointer, fileSize: Int) -> Bool {
        var c = ByteCursor(head)
        guard c.readByte() == 0x0A, let len = c.readVarint(), len > 0, len <= UInt64(fileSize - c.position) else {
            return false
        }
        guard c.readByte() == 0x0A, let tagLen = c.readVarint(), tagLen > 0, tagLen < len else { return false }
        return true
    }

    public func read(_ input: FormatInput, options: ReadOptions) throws -> Checkpoint {
        try MindSporeFormat.read(file: requireFile(input))
    }

    public func write(_ checkpoint: Checkpoint, to path: String, options: WriteOptions) throws {
        try MindSporeFormat.write(checkpoint, to: path, options: options)
    }
}

/// MindSpore-only write options.
public struct MindSporeWriteOptions: Sendable {
    /// Append the 17-byte `crc_num` trailer (what `save_checkpoint(..., crc_check=True)` writes).
    public var crc = false
    /// No trailer.
    public init() {}
}

extension WriteOptions {
    /// MindSpore only: append the `crc_num` trailer.
    public var crc: Bool {
        get { formatOptions[MindSporeWriteOptions.self]?.crc ?? false }
        set {
            var o = formatOptions[MindSporeWriteOptions.self] ?? MindSporeWriteOptions()
            o.crc = newValue
            formatOptions[MindSporeWriteOptions.self] = o
        }
    }

    /// Options for any writer, with MindSpore's `crc` trailer choice.
    public init(overwrite: Bool = false, crc: Bool, progress: ((Int, Int) -> Void)? = nil) {
        self.init(overwrite: overwrite, progress: progress)
        self.crc = crc
    }
}
