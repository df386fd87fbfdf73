import CNZooCore

extension DetectedFormat {
    /// A safetensors file.
    public static let safetensors = DetectedFormat(.safetensors)
}

/// safetensors as a `FormatPlugin` (cnzoo's neutral on-disk format).
public struct SafeTensorsPlugin: FormatPlugin {
    public init() {}
    public var format: CheckpointFormat { .safetensors }
    public var summary: String { "safetensors: JSON header + raw little-endian tensors (Hugging Face)" }
    public var fileExtension: String { "safetensors" }
    public var canRead: Bool { true }
    public var canWrite: Bool { true }

    /// An 8-byte header length, then the JSON object. The length is not checked here, so a file whose length is
    /// absurd reaches the reader and gets its specific error.
    public func detect(_ probe: FormatProbe) -> FormatMatch? {
        probe.head.count >= 9 && probe.head[8] == UInt8(ascii: "{") ? FormatMatch(.safetensors, .structure) : nil
    }

    public func read(_ input: FormatInput, options: ReadOptions) throws -> Checkpoint {
        try SafeTensors.read(file: requireFile(input))
    }

    public func write(_ checkpoint: Checkpoint, to path: String, options: WriteOptions) throws {
        try SafeTensors.write(checkpoint, to: path, options: options)
    }
}
