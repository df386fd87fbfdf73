import CNZooCore
import CNZooFormats
import CNZooMapping
#if canImport(Glibc)
import Glibc
#endif

/// A checkpoint read from disk and mapped to canonical names.
struct CanonicalCheckpoint {
    let path: String
    let format: DetectedFormat
    let detection: Detection
    let canonical: Checkpoint
    let report: MappingReport
    /// The source checkpoint as read.
    let source: Checkpoint
}

/// Reads a file, detects its convention and architecture, and maps it to canonical names.
enum CanonicalLoader {
    static func load(_ path: String, reading: ReadingOptions, from: String?, allowUnmapped: Bool,
                     keepOptimizer: Bool) throws -> CanonicalCheckpoint {
        let (ckpt, format) = try CheckpointIO.read(path: path, options: reading.readOptions)
        let names = ckpt.tensors.map(\.name)
        let shapes = ckpt.tensors.map(\.shape)
        var ranked = Detector.rank(names: names, shapes: shapes)
        if let from {
            guard let c = Conventions.named(from) else {
                throw CNZooError(.usage, "unknown convention '\(from)' (known: \(Conventions.names.joined(separator: ", ")))")
            }
            ranked = ranked.filter { $0.convention.name == c.name }
            guard !ranked.isEmpty else {
                throw CNZooError(.mapping, "the tensor names do not describe a model in \(c.name) naming"
                                 + (Detector.hint(names: names, shapes: shapes, tried: c.name, prefix: "").map { "; \($0)" } ?? ""),
                                 file: path)
            }
        }
        guard let detection = ranked.first else {
            throw CNZooError(.mapping, "cannot tell the architecture: the tensor names match no known convention "
                             + "(run `cnzoo inspect` to see them)", file: path)
        }
        let options = MappingOptions(prefix: detection.prefix, allowUnmapped: allowUnmapped,
                                     keepOptimizer: keepOptimizer)
        do {
            let (canonical, report) = try Mapper.decode(ckpt, from: detection.convention, spec: detection.spec,
                                                        options: options)
            return CanonicalCheckpoint(path: path, format: format, detection: detection, canonical: canonical,
                                       report: report, source: ckpt)
        } catch let f as MappingFailure {
            throw f.error.inFile(path)
        }
    }
}

/// Keeps the resident set small while streaming a mapped input: pages of a read-only private file mapping that
/// were already consumed are handed back to the kernel (they are re-read from the page cache if touched again).
struct MappedPageReleaser {
    private var files: [MappedFile] = []

    init(_ checkpoint: Checkpoint) {
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
    func release() {
        for f in files {
            guard let base = f.bytes.baseAddress else { continue }
            _ = madvise(UnsafeMutableRawPointer(mutating: base), f.size, MADV_DONTNEED)
        }
    }
}
