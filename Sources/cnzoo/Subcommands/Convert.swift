import ArgumentParser
import CNZooCore
import CNZooFormats
import CNZooMapping
import Foundation

/// `cnzoo convert IN --to ms|torch|safetensors`: detect, map strictly to canonical names, map to the target
/// convention, and stream the result into the target format one tensor at a time.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a checkpoint between formats and naming conventions (strict, streaming, bit-exact).",
        discussion: """
        Defaults: --to ms writes MindSpore Vision names (MindCV for ConvMixer), --to torch torchvision names (timm \
        for ConvMixer), --to safetensors canonical names plus metadata (architecture, variant, source convention; \
        source sha256 with --source-hash). Every source tensor must map to exactly one target tensor, or nothing \
        is written and the report lists missing, unexpected and mismatched names (exit 2). Optimizer state and bookkeeping are \
        dropped with a note. Conversion is bit-exact unless --dtype asks for a change (round-to-nearest-even, \
        floating tensors only).
        """)

    /// Target formats on the command line.
    enum Target: String, ExpressibleByArgument, CaseIterable {
        case ms, torch, safetensors

        var format: CheckpointFormat {
            switch self {
            case .ms: return .mindspore
            case .torch: return .pytorch
            case .safetensors: return .safetensors
            }
        }
        var fileExtension: String {
            switch self {
            case .ms: return "ckpt"
            case .torch: return "pth"
            case .safetensors: return "safetensors"
            }
        }
        /// The convention written when --convention is not given.
        func defaultConvention(family: String) -> String {
            switch (self, family) {
            case (.ms, "convmixer"): return "mindcv"
            case (.ms, _): return "mindvision"
            case (.torch, "convmixer"): return "timm"
            case (.torch, _): return "torchvision"
            case (.safetensors, _): return "canonical"
            }
        }
    }

    /// `--dtype` values.
    enum TargetDType: String, ExpressibleByArgument, CaseIterable {
        case f32, f16, bf16
        var dtype: DType {
            switch self {
            case .f32: return .f32
            case .f16: return .f16
            case .bf16: return .bf16
            }
        }
    }

    @Argument(help: "The checkpoint to convert (.pth, .ckpt, .safetensors; format detected by content).")
    var input: String

    @Option(help: "Target format.")
    var to: Target

    @Option(help: ArgumentHelp("Target naming convention (default depends on --to).",
                               valueName: Conventions.names.joined(separator: "|")))
    var convention: String?

    @Option(name: [.customShort("o"), .long], help: "Output path (default: next to the input, with the target's extension).")
    var output: String?

    @Option(help: "Convert floating tensors to this dtype (round-to-nearest-even).")
    var dtype: TargetDType?

    @Flag(help: "Overwrite the output if it exists.")
    var force = false

    @Flag(help: "No progress bar and no summary.")
    var quiet = false

    @Flag(help: "Print a JSON report (a stable contract for other tools).")
    var json = false

    @Flag(help: "MindSpore: append the crc_num trailer.")
    var crc = false

    @Flag(help: "safetensors: record the input's SHA-256 in the metadata (one extra full read of the input).")
    var sourceHash = false

    @OptionGroup var mapping: MappingOptionGroup
    @OptionGroup var reading: ReadingOptions

    /// The `--json` report.
    struct Report: Encodable {
        struct Source: Encodable {
            let format: String
            let convention: String
            let architecture: String
            let variant: String?
            let spec: String
            let confidence: Double
            let prefix: String
        }
        struct Destination: Encodable {
            let format: String
            let convention: String
        }
        struct Tensors: Encodable {
            let mapped: Int
            let dropped: Int
            let carried: Int
            let written: Int
        }
        struct DTypeChange: Encodable {
            let to: String
            let converted: Int
            let rounding: String
        }
        let input: String
        let output: String
        let from: Source
        let to: Destination
        let tensors: Tensors
        let dropped: [MappingReport.Dropped]
        let carried: [String]
        let bytes: Int
        let seconds: Double
        let dtype: DTypeChange?
        let notes: [String]
    }

    func run() throws {
        try reportingErrors {
            let started = Date()
            let loaded = try CanonicalLoader.load(input, reading: reading, from: mapping.from,
                                                  allowUnmapped: mapping.allowUnmapped,
                                                  keepOptimizer: mapping.keepOptimizer)
            let d = loaded.detection
            let targetName = convention ?? to.defaultConvention(family: d.family)
            guard let target = Conventions.named(targetName) else {
                throw CNZooError(.usage, "unknown convention '\(targetName)' (known: \(Conventions.names.joined(separator: ", ")))")
            }
            guard target.slots(for: d.spec) != nil else {
                throw CNZooError(.usage, "the \(target.name) convention does not name \(d.family) models")
            }
            var out = try Mapper.encode(loaded.canonical, to: target, spec: d.spec)
            var notes = loaded.report.notes

            var dtypeChange: Report.DTypeChange?
            if let want = dtype?.dtype {
                var converted = 0
                out.tensors = out.tensors.map { t in
                    let c = DTypeCast.cast(t, to: want)
                    if c.dtype != t.dtype { converted += 1 }
                    return c
                }
                dtypeChange = .init(to: want.rawValue, converted: converted, rounding: "nearest-even")
                notes.append("converted \(converted) floating tensors to \(want.rawValue) (round-to-nearest-even); "
                             + "integer tensors unchanged")
            }

            if !loaded.source.extras.isEmpty && !mapping.keepOptimizer {
                notes.append("dropped \(loaded.source.extras.count) non-tensor values (\(loaded.source.extras.prefix(4).map(\.name).joined(separator: ", ")))")
                out.extras = []
            }
            out.metadata = [:]
            if to == .safetensors {
                out.metadata = try safetensorsMetadata(loaded, target: target)
            }
            out.notes = []

            let outPath = try outputPath(for: target)
            let releaser = MappedPageReleaser(loaded.source)
            let bar = ProgressBar(total: out.byteCount, label: "convert", quiet: quiet || json)
            var options = WriteOptions(overwrite: force, crc: crc)
            options.progress = { done, _ in
                releaser.release()
                bar.update(done)
            }
            try CheckpointIO.write(out, format: to.format, to: outPath, options: options)
            releaser.release()
            bar.finish()
            let seconds = Date().timeIntervalSince(started)

            let report = Report(
                input: input, output: outPath,
                from: .init(format: loaded.format.checkpointFormat?.rawValue ?? loaded.format.rawValue,
                            convention: d.convention.name, architecture: d.family, variant: d.variant,
                            spec: d.spec.summary, confidence: d.confidence, prefix: d.prefix),
                to: .init(format: to.format.rawValue, convention: target.name),
                tensors: .init(mapped: loaded.report.mapped, dropped: loaded.report.dropped.count,
                               carried: loaded.report.carried.count, written: out.tensors.count),
                dropped: loaded.report.dropped, carried: loaded.report.carried,
                bytes: out.byteCount, seconds: seconds, dtype: dtypeChange, notes: notes)
            if json {
                try Output.printJSON(report)
            } else if !quiet {
                let rate = seconds > 0 ? Output.bytes(Int(Double(out.byteCount) / seconds)) + "/s" : ""
                print("\(input) (\(report.from.format), \(d.convention.name) naming, \(d.variant ?? d.spec.summary)) → "
                      + "\(outPath) (\(report.to.format), \(target.name) naming)")
                print("\(report.tensors.written) tensors, \(Output.bytes(out.byteCount)) in "
                      + String(format: "%.2f", seconds) + " s \(rate)")
                for n in notes { print("note: \(n)") }
            }
        }
    }

    /// safetensors metadata: what the file holds and where it came from.
    private func safetensorsMetadata(_ loaded: CanonicalCheckpoint, target: any NamingConvention) throws -> [String: String] {
        let d = loaded.detection
        var m: [String: String] = [
            "format": "pt",
            "architecture": d.family,
            "spec": d.spec.summary,
            "convention": target.name,
            "source_convention": d.convention.name,
            "source_format": loaded.format.checkpointFormat?.rawValue ?? loaded.format.rawValue,
            "converter": "cnzoo \(CNZooVersion.string)",
        ]
        if let v = d.variant { m["variant"] = v }
        if sourceHash { m["source_sha256"] = try streamingSHA256(input) }
        return m
    }

    /// SHA-256 of a file read in 4 MiB pieces (one extra sequential pass over the input; memory stays flat).
    private func streamingSHA256(_ path: String) throws -> String {
        guard let h = FileHandle(forReadingAtPath: path) else {
            throw CNZooError(.unreadable, "cannot open for hashing", file: path)
        }
        defer { try? h.close() }
        let sha = SHA256()
        while true {
            let chunk = try h.read(upToCount: 4 << 20) ?? Data()
            if chunk.isEmpty { break }
            chunk.withUnsafeBytes { sha.update($0) }
        }
        return sha.finalizeHex()
    }

    /// `-o`, or the input's path with the target extension (never the input itself).
    private func outputPath(for target: any NamingConvention) throws -> String {
        if let output {
            guard !sameFile(output, input) else {
                throw CNZooError(.usage, "the output would overwrite the input", file: output)
            }
            return output
        }
        let url = URL(fileURLWithPath: input)
        let stem = url.deletingPathExtension()
        var candidate = stem.appendingPathExtension(to.fileExtension).path
        if sameFile(candidate, input) {
            candidate = stem.appendingPathExtension(target.name).appendingPathExtension(to.fileExtension).path
        }
        return candidate
    }

    private func sameFile(_ a: String, _ b: String) -> Bool {
        URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath().path
            == URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
