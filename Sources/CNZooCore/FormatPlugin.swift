import Foundation

/// A checkpoint file format, as an open set keyed by its name (the spelling JSON reports and the CLI use).
///
/// The formats cnzoo started with are static members here; a new format module declares its own
/// (`extension CheckpointFormat { public static let keras = CheckpointFormat(rawValue: "keras") }`) next to the
/// `FormatPlugin` that reads and writes it.
public struct CheckpointFormat: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// safetensors (Hugging Face): an 8-byte header length, a JSON header, raw tensor bytes.
    public static let safetensors = CheckpointFormat(rawValue: "safetensors")
    /// `torch.save` output: a zip archive, the legacy pickle sequence, or a bare pickle.
    public static let pytorch = CheckpointFormat(rawValue: "pytorch")
    /// A MindSpore `.ckpt` protobuf record stream.
    public static let mindspore = CheckpointFormat(rawValue: "mindspore")
    /// A NumPy `.npy` array.
    public static let numpy = CheckpointFormat(rawValue: "numpy")
    /// An HDF5 file (Keras weights).
    public static let hdf5 = CheckpointFormat(rawValue: "hdf5")

    public var description: String { rawValue }

    public init(from decoder: Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// What a format plug-in recognised in a file: the format, and the container variant when a format has several
/// (`pytorch-zip`, `pytorch-legacy` and `pickle` are all `pytorch`).
public struct DetectedFormat: Hashable, Sendable, CustomStringConvertible {
    /// The variant's spelling (`pytorch-zip`; the format's name when it has one variant).
    public let rawValue: String
    /// The format it belongs to (nil for `unknown`).
    public let checkpointFormat: CheckpointFormat?

    /// A variant of `format` spelled `variant`.
    public init(_ variant: String, of format: CheckpointFormat) {
        rawValue = variant
        checkpointFormat = format
    }

    /// The only variant of `format`, spelled as the format.
    public init(_ format: CheckpointFormat) { self.init(format.rawValue, of: format) }

    private init(unknown: Void) {
        rawValue = "unknown"
        checkpointFormat = nil
    }

    /// No format recognised the content.
    public static let unknown = DetectedFormat(unknown: ())

    public var description: String { rawValue }
}

/// What format detection may look at: the path (a folder can be claimed by a folder format), the size, and the
/// first and last bytes of a file. Detection is by content, never by extension.
public struct FormatProbe: Sendable {
    /// How many leading bytes a probe holds at most.
    public static let headLength = 4096
    /// How many trailing bytes a probe holds at most.
    public static let tailLength = 64

    /// The file or folder probed (`<memory>` for a buffer).
    public let path: String
    /// Whether `path` is a folder (then `size` is 0 and `head`/`tail` are empty).
    public let isDirectory: Bool
    /// The file size in bytes.
    public let size: Int
    /// The first `min(size, headLength)` bytes.
    public let head: [UInt8]
    /// The last `min(size, tailLength)` bytes.
    public let tail: [UInt8]

    /// A probe of a file's bytes (a mapped file or an in-memory buffer).
    public init(bytes: UnsafeRawBufferPointer, path: String = "<memory>") {
        self.path = path
        isDirectory = false
        size = bytes.count
        head = Array(bytes.prefix(FormatProbe.headLength))
        tail = Array(bytes.suffix(FormatProbe.tailLength))
    }

    /// A probe of a folder: only its path (a folder format lists what it needs itself).
    public init(folder path: String) {
        self.path = path
        isDirectory = true
        size = 0
        head = []
        tail = []
    }

    /// Whether the file starts with `prefix`.
    public func starts(with prefix: [UInt8]) -> Bool { head.starts(with: prefix) }
}

/// A plug-in's verdict on a probe: which variant, and how sure.
public struct FormatMatch: Sendable {
    /// How strong the evidence is. The registry takes the strongest claim; ties go to the earlier registry entry.
    public enum Strength: Int, Sendable, Comparable {
        /// A weak pattern that other formats' content could also show (a protocol-0 text pickle).
        case fallback = 0
        /// A plausible structure without a magic number (a binary pickle, a protobuf record).
        case heuristic = 1
        /// A structural check on fixed positions (safetensors' JSON header after its length).
        case structure = 2
        /// A magic number (zip, HDF5, `\x93NUMPY`).
        case signature = 3
        /// A magic number plus content only this format has, for containers several formats share (a zip whose
        /// first entry is an `.npy` array, a Keras `.keras` zip): beats the container's generic claim.
        case specific = 4

        public static func < (a: Strength, b: Strength) -> Bool { a.rawValue < b.rawValue }
    }

    public var detected: DetectedFormat
    public var strength: Strength

    /// `detected` with `strength` of evidence.
    public init(_ detected: DetectedFormat, _ strength: Strength) {
        self.detected = detected
        self.strength = strength
    }
}

/// What a plug-in reads: a mapped file, or a folder (for formats stored as several files).
public enum FormatInput {
    /// A file, mapped read-only (or an in-memory buffer, `MappedFile(copying:)`).
    case file(MappedFile)
    /// A folder.
    case folder(String)

    /// The path read.
    public var path: String {
        switch self {
        case let .file(f): return f.path
        case let .folder(p): return p
        }
    }
}

/// One checkpoint format: how to recognise it, read it and write it.
///
/// A format lives in its own module, which declares its `CheckpointFormat` value and a type conforming to this
/// protocol; `Formats.all` in CNZooFormats lists one instance per format, and `CheckpointIO` / `FormatDetector`
/// work over that list. Readers are lazy (tensor bytes stay in the mapped file as `TensorData` sources); writers
/// stream each tensor (`TensorData.forEachChunk`, `AtomicFileWriter`) and write atomically.
public protocol FormatPlugin: Sendable {
    /// The format this plug-in handles.
    var format: CheckpointFormat { get }
    /// One line for help texts and docs.
    var summary: String { get }
    /// The extension its files usually have, without the dot (`safetensors`, `pth`, `ckpt`).
    var fileExtension: String { get }
    /// Whether `read` is implemented (a format may be recognised before it is readable).
    var canRead: Bool { get }
    /// Whether `write` is implemented.
    var canWrite: Bool { get }
    /// The variant and the strength of evidence if `probe` is this format's, nil otherwise. Cheap and total: it
    /// must not throw or read beyond the probe.
    func detect(_ probe: FormatProbe) -> FormatMatch?
    /// Reads `input` lazily. Errors name the file, the tensor and the byte offset where they can.
    func read(_ input: FormatInput, options: ReadOptions) throws -> Checkpoint
    /// Writes `checkpoint` to `path` atomically, streaming tensor bytes.
    func write(_ checkpoint: Checkpoint, to path: String, options: WriteOptions) throws
}

extension FormatPlugin {
    /// Refuses: the format is recognised but not readable yet.
    public func read(_ input: FormatInput, options: ReadOptions) throws -> Checkpoint {
        throw CNZooError(.unsupported, "\(format) files are recognised but not readable yet", file: input.path)
    }

    /// Refuses: writing this format is not implemented yet.
    public func write(_ checkpoint: Checkpoint, to path: String, options: WriteOptions) throws {
        throw CNZooError(.unsupported, "writing \(format) is not implemented yet", file: path)
    }

    /// The mapped file of `input`, or an `unknownFormat` error for a folder (for plug-ins that read single files).
    public func requireFile(_ input: FormatInput) throws -> MappedFile {
        guard case let .file(f) = input else {
            throw CNZooError(.unknownFormat, "\(format) checkpoints are single files, not folders", file: input.path)
        }
        return f
    }
}
