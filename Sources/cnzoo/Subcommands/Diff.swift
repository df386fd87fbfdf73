import ArgumentParser
import CNZooConversion
import CNZooCore

/// `cnzoo diff A B`: the library's `CheckpointDiff`, printed as a table or JSON.
struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two checkpoints tensor by tensor after mapping both to canonical names.",
        discussion: """
        Each side's convention and architecture are detected. Per tensor: equal (same dtype, shape and bytes), \
        max |a−b| (f16/bf16 widened to f32), or a shape/dtype mismatch; plus names found on one side only. \
        Exit 0 if identical, 1 if anything differs.
        """)

    @Argument(help: "First checkpoint.")
    var a: String
    @Argument(help: "Second checkpoint.")
    var b: String

    @Flag(help: "Print a JSON report (schema in docs/json/diff.schema.json).")
    var json = false

    @OptionGroup var source: SourceConventionOption

    @Flag(help: "List equal tensors too.")
    var all = false

    @OptionGroup var reading: ReadingOptions

    func run() throws {
        let identical: Bool = try reportingErrors(json: json) {
            let report = try CheckpointDiff.run(a, b, options: LoadOptions(read: reading.readOptions, from: source.source),
                                                includeEqual: all || json)
            if json {
                try Output.printJSON(report)
                return report.identical
            }
            print("A: \(a) (\(report.a.format), \(report.a.convention), \(report.a.variant ?? report.a.architecture.rawValue))")
            print("B: \(b) (\(report.b.format), \(report.b.convention), \(report.b.variant ?? report.b.architecture.rawValue))")
            if !report.tensors.isEmpty {
                print(Output.table(["tensor", "status", "dtype", "shape", "max |a-b|"], report.tensors.map { e in
                    [e.name, e.status.rawValue, e.dtype.joined(separator: " / "),
                     e.shape.map { "\($0)" }.joined(separator: " / "),
                     e.maxAbsDiff.map { String(format: "%.6g", $0) } ?? ""]
                }))
            }
            let total = report.counts.values.reduce(0, +)
            print(report.identical ? "identical: \(total) tensors equal"
                  : "different: " + report.counts.keys.sorted().map { "\(report.counts[$0]!) \($0)" }.joined(separator: ", "))
            return report.identical
        }
        if !identical { throw ExitCode(ExitStatus.checkFailed) }
    }
}
