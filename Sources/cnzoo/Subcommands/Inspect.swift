import ArgumentParser
import CNZooCore
import CNZooFormats
import CNZooMapping

/// `cnzoo inspect FILE [--json]`: what a checkpoint holds, from its headers only.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the tensors, metadata and extras of a checkpoint (format detected by content).",
        discussion: "Reads headers only: the cost grows with the number of tensors, not the file size (except a MindSpore "
            + ".ckpt with a crc_num trailer, which is hashed once to verify it). --json gives each tensor a role: "
            + "weight, ema, optimizer-state or bookkeeping (judged by name).")

    @Argument(help: "The checkpoint file (.safetensors, .pth, .ckpt, ...).")
    var file: String

    @Flag(help: "Print a JSON report (a stable contract for other tools).")
    var json = false

    @OptionGroup var reading: ReadingOptions

    /// The `--json` report.
    struct Report: Encodable {
        struct Tensor: Encodable {
            let name: String
            let dtype: String
            let shape: [Int]
            let elements: Int
            let bytes: Int
            /// `weight`, `ema`, `optimizer-state` or `bookkeeping` (`TensorRole.classify`, by name).
            let role: String
        }
        struct Totals: Encodable {
            let tensors: Int
            let parameters: Int
            let bytes: Int
        }
        let file: String
        let format: String
        let container: String
        let tensors: [Tensor]
        let totals: Totals
        let metadata: [String: String]
        let extras: [CheckpointExtra]
        let notes: [String]
        /// The detected naming convention (nil if the names match none).
        let convention: String?
        /// The detected architecture (nil if the names match none).
        let architecture: Architecture?
    }

    /// What the detector read from names and shapes alone.
    struct Architecture: Encodable {
        let family: String
        let variant: String?
        let summary: String
        let numClasses: Int?
        /// Fraction of tensors that map exactly to the detected convention.
        let confidence: Double
        let prefix: String
        let hints: [String]

        init(_ d: Detection) {
            family = d.family
            variant = d.variant
            summary = d.spec.summary
            numClasses = (d.spec as? ConvNeXtSpec)?.numClasses ?? (d.spec as? ConvMixerSpec)?.numClasses
            confidence = d.confidence
            prefix = d.prefix
            hints = d.hints
        }
    }

    func run() throws {
        try reportingErrors {
            let (ckpt, detected) = try CheckpointIO.read(path: file, options: reading.readOptions)
            let arch = Detector.detect(names: ckpt.tensors.map(\.name), shapes: ckpt.tensors.map(\.shape))
            let report = Report(
                file: file,
                format: detected.checkpointFormat?.rawValue ?? detected.rawValue,
                container: detected.rawValue,
                tensors: ckpt.tensors.map {
                    .init(name: $0.name, dtype: $0.dtype.rawValue, shape: $0.shape, elements: $0.elementCount,
                          bytes: $0.byteCount, role: TensorRole.classify($0.name).rawValue)
                },
                totals: .init(tensors: ckpt.tensors.count, parameters: ckpt.parameterCount, bytes: ckpt.byteCount),
                metadata: ckpt.metadata, extras: ckpt.extras, notes: ckpt.notes,
                convention: arch?.convention.name, architecture: arch.map(Architecture.init))
            if json {
                try Output.printJSON(report)
                return
            }
            print("\(file): \(report.format) (\(report.container))")
            print(Output.table(["name", "dtype", "shape", "bytes"],
                               report.tensors.map { [$0.name, $0.dtype, "[" + $0.shape.map(String.init).joined(separator: ", ") + "]",
                                                     String($0.bytes)] },
                               rightAligned: [3]))
            print("\(report.totals.tensors) tensors, \(Output.grouped(report.totals.parameters)) parameters, "
                  + Output.bytes(report.totals.bytes))
            let roles = Dictionary(grouping: report.tensors, by: \.role)
            if roles.keys.contains(where: { $0 != TensorRole.weight.rawValue }) {
                print("roles: " + TensorRole.allCases.compactMap { r in
                    roles[r.rawValue].map { "\($0.count) \(r.rawValue)" }
                }.joined(separator: ", "))
            }
            if !report.metadata.isEmpty {
                print("metadata:")
                for k in report.metadata.keys.sorted() { print("  \(k): \(report.metadata[k]!)") }
            }
            if !report.extras.isEmpty {
                print("extras:")
                for e in report.extras { print("  \(e.name) = \(e.displayValue)") }
            }
            if let a = report.architecture, let c = report.convention {
                print("architecture: \(a.variant ?? a.summary) (\(c) naming, "
                      + "\(Int((a.confidence * 100).rounded()))% of tensors match)")
                for h in a.hints { print("  \(h)") }
            }
            for n in report.notes { print("note: \(n)") }
        }
    }
}
