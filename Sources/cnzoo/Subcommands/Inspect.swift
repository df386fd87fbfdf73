import ArgumentParser
import CNZooConversion
import CNZooCore

/// `cnzoo inspect FILE [--json]`: what a checkpoint holds, from its headers only.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the tensors, metadata and extras of a checkpoint (format detected by content).",
        discussion: "Reads headers only: the cost grows with the number of tensors, not the file size (except a MindSpore "
            + ".ckpt with a crc_num trailer, which is hashed once to verify it). --json gives each tensor a role: "
            + "weight, ema, optimizer-state or bookkeeping (judged by name).")

    @Argument(help: "The checkpoint file (.safetensors, .pth, .ckpt, ...).")
    var file: String

    @Flag(help: "Print a JSON report (a stable contract for other tools; schema in docs/json/inspect.schema.json).")
    var json = false

    @OptionGroup var reading: ReadingOptions

    func run() throws {
        try reportingErrors(json: json) {
            let report = try InspectReport.make(file, read: reading.readOptions)
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
            if let line = Output.weightsLine(key: report.wrapperKey, others: report.otherWeightKeys) { print(line) }
            if !report.extras.isEmpty {
                print("extras:")
                for e in report.extras { print("  \(e.name) = \(e.displayValue)") }
            }
            if let a = report.architecture, let c = report.convention {
                print("architecture: \(a.variant ?? a.summary) (\(c) naming, "
                      + "\(Int((a.confidence * 100).rounded()))% of tensors match)")
                for h in a.hints { print("  \(h)") }
            } else {
                print("architecture: unknown (convert keeps every name: a format-only conversion)")
            }
            for n in report.notes { print("note: \(n)") }
        }
    }
}
