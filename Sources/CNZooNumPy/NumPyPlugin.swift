import CNZooCore

extension DetectedFormat {
    /// A NumPy `.npy` array.
    public static let numpy = DetectedFormat(.numpy)
}

/// `.npy` as a `FormatPlugin`: recognised (so a single array is named as such), not a checkpoint container yet;
/// arrays are read and written with `NumPyFormat`.
public struct NumPyPlugin: FormatPlugin {
    public init() {}
    public var format: CheckpointFormat { .numpy }
    public var summary: String { "NumPy .npy: one array (reference logits and inputs; not a checkpoint)" }
    public var fileExtension: String { "npy" }
    public var canRead: Bool { false }
    public var canWrite: Bool { false }

    public func detect(_ probe: FormatProbe) -> FormatMatch? {
        probe.starts(with: [0x93] + Array("NUMPY".utf8)) ? FormatMatch(.numpy, .signature) : nil
    }
}
