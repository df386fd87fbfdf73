import CNZooCore

extension DetectedFormat {
    /// A NumPy `.npy` array.
    public static let numpy = DetectedFormat(.numpy)
}

/// `.npy` as a `FormatPlugin`: one array, read as a one-tensor checkpoint named after the file (so `inspect`,
/// `diff` and `convert` take it); arrays are read and written with `NumPyFormat`.
public struct NumPyPlugin: FormatPlugin {
    public init() {}
    public var format: CheckpointFormat { .numpy }
    public var summary: String { "NumPy .npy: one array, read as one tensor named after the file" }
    public var fileExtension: String { "npy" }
    public var canRead: Bool { true }
    public var canWrite: Bool { false }

    public func detect(_ probe: FormatProbe) -> FormatMatch? {
        probe.starts(with: [0x93] + Array("NUMPY".utf8)) ? FormatMatch(.numpy, .signature) : nil
    }

    public func read(_ input: FormatInput, options: ReadOptions) throws -> Checkpoint {
        let file = try requireFile(input)
        let array = try NumPyFormat.read(path: file.path)
        var name = String(file.path.split(separator: "/").last ?? "array")
        if name.hasSuffix(".npy") { name.removeLast(4) }
        return Checkpoint(tensors: [TensorEntry(name: name, dtype: array.dtype, shape: array.shape, data: array.data)],
                          notes: ["a single .npy array, read as the tensor '\(name)'"])
    }
}
