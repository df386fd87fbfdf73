import CNZooCore
import CNZooFormats
import CNZooMapping
#if canImport(Glibc)
import Glibc
#endif

/// How to read a checkpoint and map it to canonical names.
public struct LoadOptions: Sendable {
    /// Reader options (PyTorch wrapper key, prefix stripping).
    public var read: ReadOptions
    /// The source naming convention; nil detects it from names and shapes.
    public var from: Convention?
    /// Carry tensors that match nothing under their own names (and accept missing ones) instead of failing.
    public var allowUnmapped: Bool
    /// Keep optimizer state and bookkeeping tensors instead of dropping them.
    public var keepOptimizer: Bool
    /// A wrapper prefix to remove from every tensor name that carries it (`--strip-prefix backbone.`).
    public var stripPrefix: String?

    public init(read: ReadOptions = ReadOptions(), from: Convention? = nil, allowUnmapped: Bool = false,
                keepOptimizer: Bool = false) {
        self.read = read
        self.from = from
        self.allowUnmapped = allowUnmapped
        self.keepOptimizer = keepOptimizer
    }
}

/// A checkpoint read from disk, its convention and architecture detected, mapped to canonical names.
public struct LoadedCheckpoint: Sendable {
    /// The file it came from.
    public let path: String
    /// The container its bytes say it is.
    public let format: DetectedFormat
    /// Convention, family, spec and variant as detected (or as forced by `LoadOptions.from`).
    public let detection: Detection
    /// The tensors under canonical names (lazy: nothing has been read yet).
    public let canonical: Checkpoint
    /// The strict mapping report.
    public let report: MappingReport
    /// The checkpoint as read, under its own names.
    public let source: Checkpoint

    /// The neutral format name (`pytorch`, `mindspore`, …) of the source.
    public var formatName: String { format.checkpointFormat?.rawValue ?? format.rawValue }
}

/// Reads a checkpoint in any format, detects its convention and architecture, and maps it to canonical names.
public enum CheckpointLoader {
    /// Reads `path` and maps it strictly to canonical names (errors name the file and what did not map).
    public static func load(_ path: String, options: LoadOptions = LoadOptions()) throws -> LoadedCheckpoint {
        let (ckpt, format) = try read(path, options: options)
        let detection = try detect(ckpt, from: options.from, file: path)
        return try map(ckpt, format: format, detection: detection, path: path, options: options)
    }

    /// Reads `path` in any format, names as stored (less `options.stripPrefix`); nothing is mapped.
    public static func read(_ path: String, options: LoadOptions = LoadOptions()) throws -> (Checkpoint, DetectedFormat) {
        var (ckpt, format) = try CheckpointIO.read(path: path, options: options.read)
        if let p = options.stripPrefix, !p.isEmpty {
            let hits = ckpt.tensors.filter { $0.name.hasPrefix(p) }.count
            guard hits > 0 else {
                throw CNZooError(.usage, "no tensor name starts with '\(p)' (--strip-prefix); names look like '"
                                 + (ckpt.tensors.first?.name ?? "") + "'", file: path)
            }
            var seen = Set<String>()
            for i in ckpt.tensors.indices where ckpt.tensors[i].name.hasPrefix(p) {
                ckpt.tensors[i].name.removeFirst(p.count)
            }
            for t in ckpt.tensors where !seen.insert(t.name).inserted {
                throw CNZooError(.usage, "stripping '\(p)' makes two tensors named '\(t.name)'", file: path, tensor: t.name)
            }
            ckpt.notes.append("stripped the prefix '\(p)' from \(hits) of \(ckpt.tensors.count) tensor names (--strip-prefix)")
        }
        return (ckpt, format)
    }

    /// Maps a checkpoint already read to canonical names under `detection` (errors name the file).
    public static func map(_ ckpt: Checkpoint, format: DetectedFormat, detection: Detection, path: String,
                           options: LoadOptions) throws -> LoadedCheckpoint {
        let mapping = MappingOptions(prefix: detection.prefix, allowUnmapped: options.allowUnmapped,
                                     keepOptimizer: options.keepOptimizer)
        do {
            let (canonical, report) = try Mapper.decode(ckpt, from: detection.convention, spec: detection.spec,
                                                        options: mapping)
            return LoadedCheckpoint(path: path, format: format, detection: detection, canonical: canonical,
                                    report: report, source: ckpt)
        } catch let f as MappingFailure {
            throw f.error.inFile(path)
        }
    }

    /// The best reading of `checkpoint`'s names and shapes (restricted to `from` when given).
    /// A model folder's `config.json` (`HubConfig`) names the convention when `from` does not, and must agree with
    /// the architecture the shapes show.
    public static func detect(_ checkpoint: Checkpoint, from: Convention?, file: String) throws -> Detection {
        let hub = HubConfig(metadata: checkpoint.metadata)
        let detection = try detect(checkpoint, from: from ?? hub?.convention, file: file, config: hub?.file)
        try hub?.check(detection.spec)
        return detection
    }

    private static func detect(_ checkpoint: Checkpoint, from: Convention?, file: String,
                               config: String?) throws -> Detection {
        let names = checkpoint.tensors.map(\.name)
        let shapes = checkpoint.tensors.map(\.shape)
        var ranked = Detector.rank(names: names, shapes: shapes)
        if let from {
            guard let c = Conventions.convention(from) else {
                throw CNZooError(.usage, "unknown convention '\(from)' (known: \(Convention.helpList))")
            }
            ranked = ranked.filter { $0.convention.name == c.name }
            guard !ranked.isEmpty else {
                throw CNZooError(.mapping, "the tensor names do not describe a model in \(c.name) naming"
                                 + (config.map { " (the naming \($0) implies)" } ?? "")
                                 + (Detector.hint(names: names, shapes: shapes, tried: c.name, prefix: "").map { "; \($0)" } ?? ""),
                                 file: file)
            }
        }
        guard let detection = ranked.first else {
            throw CNZooError(.mapping, "cannot tell the architecture: the tensor names match no known convention "
                             + "(run `cnzoo inspect` to see them; `convert` without --convention/--from converts the "
                             + "format only, keeping every name)", file: file)
        }
        return detection
    }
}

/// Keeps the resident set small while streaming a mapped input: pages of a read-only private file mapping that
/// were already consumed are handed back to the kernel (they are re-read from the page cache if touched again).
public struct MappedPageReleaser: Sendable {
    private var files: [MappedFile] = []

    /// Tracks every file `checkpoint`'s tensors are mapped from.
    public init(_ checkpoint: Checkpoint) {
        var seen = Set<ObjectIdentifier>()
        for t in checkpoint.tensors {
            let file: MappedFile
            switch t.data.source {
            case let .file(f, _): file = f
            case let .chunks(f, _): file = f
            default: continue
            }
            if seen.insert(ObjectIdentifier(file)).inserted, file.size > 0 { files.append(file) }
        }
    }

    /// Drops every mapped page from the resident set (call between tensors, never while one is being read).
    public func release() {
        for f in files {
            guard let base = f.bytes.baseAddress else { continue }
            _ = madvise(UnsafeMutableRawPointer(mutating: base), f.size, MADV_DONTNEED)
        }
    }
}
