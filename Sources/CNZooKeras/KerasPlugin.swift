import CNZooCore

extension CheckpointFormat {
    /// Keras weights: HDF5 `.weights.h5` / legacy `.h5`, and `.keras` archives.
    public static let keras = CheckpointFormat(rawValue: "keras")
}

extension DetectedFormat {
    /// An HDF5 file (Keras weights), recognised by its signature.
    public static let hdf5 = DetectedFormat("hdf5", of: .keras)
    /// A `.keras` archive (a zip whose first member is Keras' `metadata.json`, `config.json` or `model.weights.h5`).
    public static let kerasArchive = DetectedFormat("keras-archive", of: .keras)
}

/// The Keras format plug-in: HDF5 weight files (Keras 3 `.weights.h5`, legacy Keras 2 `.h5`) and `.keras`
/// archives are read; Keras 3 `.weights.h5` is written.
public struct KerasPlugin: FormatPlugin {
    public init() {}
    public var format: CheckpointFormat { .keras }
    public var summary: String { "Keras weights: .weights.h5, legacy .h5 and .keras archives (libhdf5 in a child process, libzip)" }
    /// Keras 3 loads a Keras 3 weights file only under this suffix (`load_weights` treats other `.h5` as legacy).
    public var fileExtension: String { "weights.h5" }
    public var canRead: Bool { true }
    public var canWrite: Bool { true }

    /// The members Keras writes first into a `.keras` archive.
    static let archiveFirstMembers = ["metadata.json", "config.json", KerasArchive.weightsMember]

    public func detect(_ probe: FormatProbe) -> FormatMatch? {
        if probe.starts(with: HDF5Superblock.signature) { return FormatMatch(.hdf5, .signature) }
        // A zip local file header (name length at 26, name at 30) naming one of Keras' members: a .keras archive.
        let h = probe.head
        guard h.count >= 30, probe.starts(with: [0x50, 0x4B, 0x03, 0x04]) else { return nil }
        let n = Int(h[26]) | Int(h[27]) << 8
        guard h.count >= 30 + n, Self.archiveFirstMembers.contains(String(decoding: h[30..<(30 + n)], as: UTF8.self))
        else { return nil }
        return FormatMatch(.kerasArchive, .specific)  // a zip PyTorch also claims
    }

    public func read(_ input: FormatInput, options: ReadOptions) throws -> Checkpoint {
        try KerasFormat.read(file: requireFile(input))
    }

    public func write(_ checkpoint: Checkpoint, to path: String, options: WriteOptions) throws {
        try KerasFormat.write(checkpoint, to: path, options: options)
    }
}
