import CNZooCore

extension CheckpointFormat {
    /// An ONNX model (`ModelProto`); its initializers read as a checkpoint.
    public static let onnx = CheckpointFormat(rawValue: "onnx")
}

extension DetectedFormat {
    /// An ONNX model.
    public static let onnx = DetectedFormat(.onnx)
}

/// ONNX as a `FormatPlugin`: recognised and read (initializers as tensors). It does not write through the plug-in
/// interface: an ONNX model needs the architecture and the source's numerics, not only tensors, so `convert --to
/// onnx` goes through `ONNXExport` (see `Converter`).
public struct ONNXPlugin: FormatPlugin {
    public init() {}
    public var format: CheckpointFormat { .onnx }
    public var summary: String { "ONNX model: initializers read as tensors (export: convert --to onnx)" }
    public var fileExtension: String { "onnx" }
    public var canRead: Bool { true }
    public var canWrite: Bool { false }

    /// `ir_version` first with a plausible value, then another `ModelProto` field (`ONNXFormat.looksLikeModel`).
    public func detect(_ probe: FormatProbe) -> FormatMatch? {
        probe.head.withUnsafeBytes { ONNXFormat.looksLikeModel($0) } ? FormatMatch(.onnx, .heuristic) : nil
    }

    public func read(_ input: FormatInput, options: ReadOptions) throws -> Checkpoint {
        try ONNXFormat.read(file: requireFile(input))
    }
}
