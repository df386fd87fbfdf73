/// Every resource bound cnzoo enforces on untrusted input, in one place.
///
/// A reader that hits one of these throws `CNZooError(.limitExceeded, ...)` with a message that names the limit
/// (`Limits.name(of:)`-style: "limit maxPickleDepth (1000) exceeded").
public enum Limits {
    /// safetensors JSON header size (the reference crate's `MAX_HEADER_SIZE`).
    public static let maxSafeTensorsHeaderBytes = 100_000_000
    /// Tensor rank accepted by any reader.
    public static let maxRank = 64
    /// Tensors in one checkpoint.
    public static let maxTensors = 1_000_000
    /// Nesting depth of pickle containers / JSON values.
    public static let maxNestingDepth = 1_000
    /// Pickle stack + memo entries, and items in one pickle container.
    public static let maxPickleItems = 10_000_000
    /// One pickle string / bytes value.
    public static let maxPickleStringBytes = 64 << 20
    /// Total `data.pkl` size accepted.
    public static let maxPickleBytes = 1 << 30
    /// Entries in one zip archive.
    public static let maxZipEntries = 1_000_000
    /// One MindSpore record's header (everything except tensor bytes).
    public static let maxRecordHeaderBytes = 64 << 20
    /// `.npy` header length.
    public static let maxNpyHeaderBytes = 1 << 20
    /// Bytes cnzoo will materialise in memory for one tensor that cannot be read in place (strided views, etc.).
    public static let maxMaterializedTensorBytes = 8 << 30
    /// How many times its storage's size a non-contiguous view may grow to when materialised. A zero or overlapping
    /// stride repeats elements, so without this a 4-byte storage could claim gigabytes (a "view bomb"). Views up to
    /// `viewAmplificationFloorBytes` are always allowed.
    public static let maxViewAmplification = 16
    /// Materialised views up to this size are allowed whatever their storage size.
    public static let viewAmplificationFloorBytes = 16 << 20

    /// The error thrown when `name` (whose value is `value`) is exceeded.
    public static func exceeded(_ name: String, _ value: Int, _ what: String, file: String? = nil,
                                tensor: String? = nil, offset: Int? = nil) -> CNZooError {
        CNZooError(.limitExceeded, "\(what) exceeds limit \(name) (\(value))", file: file, tensor: tensor,
                   offset: offset)
    }
}
