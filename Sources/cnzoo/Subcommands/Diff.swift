import ArgumentParser
import CNZooConversion
import CNZooCore

/// `cnzoo diff A B`: the library's `CheckpointDiff`, printed as a table or JSON.
struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two checkpoints tensor by tensor after mapping both to canonical names.",
        discussion: """
        Each side's convention and architecture are detected; when either is unknown, tensors are compared by \
        their names as stored. Each row shows the canonical name and the name as each file spells it. Per tensor: \
        equal (same dtype, shape and bytes), layout (the same values stored in another shape or axis order, e.g. \
        layer scale [C,1,1] vs [C]), max |a−b| (f16/bf16 widened to f32), close (with --atol/--rtol: every \
        |a−b| ≤ atol + rtol·|b|), or a shape/dtype mismatch; plus names found on one side only. Two different \
        architectures are reported as such. Exit 0 if identical or equivalent (equal values, layouts aside), 1 if \
        anything else differs.
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

    @Option(help: ArgumentHelp("PyTorch: the top-level key holding A's weights (default: --key, else timm's order).",
                               valueName: "key"))
    var keyA: String?
    @Option(help: ArgumentHelp("PyTorch: the top-level key holding B's weights (default: --key, else timm's order).",
                               valueName: "key"))
    var keyB: String?
    @Option(help: "Absolute tolerance: values with |a−b| ≤ atol + rtol·|b| are close (identical for the exit code).")
    var atol: Double?
    @Option(help: "Relative tolerance (see --atol).")
    var rtol: Double?

    func run() throws {
        let passed: Bool = try reportingErrors(json: json) {
            func options(_ key: String?) -> LoadOptions {
                var read = reading.readOptions
                if let key { read.key = key }
                return LoadOptions(read: read, from: source.source)
            }
            let report = try CheckpointDiff.run(a, b, options: options(keyA), optionsB: options(keyB), atol: atol,
                                                rtol: rtol, includeEqual: all || json)
            if json {
                try Output.printJSON(report)
                return report.equivalent
            }
            for (label, path, side) in [("A", a, report.a), ("B", b, report.b)] {
                print("\(label): \(path) (\(side.format), \(side.convention), \(side.variant ?? side.architecture.rawValue))"
                      + (side.wrapperKey.map { "; weights from top-level key '\($0)'" } ?? "")
                      + (side.otherWeightKeys.isEmpty ? "" : "; other weights in "
                         + side.otherWeightKeys.map { "'\($0)'" }.joined(separator: ", ")))
            }
            if report.mode == "raw-names" { print("note: architecture unknown on one side; compared by names as stored") }
            let differentArchitectures = report.sameArchitecture == false
            if differentArchitectures {
                print("different architectures: \(report.a.architectureName) vs \(report.b.architectureName)")
            }
            // Rows of two different architectures are mostly one-sided: listed with --all only.
            if !report.tensors.isEmpty && (!differentArchitectures || all) {
                let canonical = report.mode == "canonical"
                let header = ["tensor"] + (canonical ? ["A name", "B name"] : []) + ["status", "dtype", "shape", "max |a-b|"]
                print(Output.table(header, report.tensors.map { e in
                    [e.name] + (canonical ? Self.sides(e) : [])
                        + [e.status.rawValue, e.dtype.joined(separator: " / "),
                           e.storedShapes.map { "\($0)" }.joined(separator: " / "),
                           e.maxAbsDiff.map { String(format: "%.6g", $0) } ?? ""]
                }))
            }
            let total = report.counts.values.reduce(0, +)
            let counts = report.counts.keys.sorted().map { "\(report.counts[$0]!) \($0)" }.joined(separator: ", ")
            if report.identical {
                print("identical: \(Plural.count(total, "tensor")) equal")
            } else if report.equivalent {
                print("equivalent: the same values, \(Plural.count(report.counts["layout"] ?? 0, "tensor")) stored in "
                      + "another layout (\(counts))")
            } else {
                print("different: " + counts)
            }
            return report.equivalent
        }
        if !passed { throw ExitCode(ExitStatus.checkFailed) }
    }

    /// The A and B columns: each side's stored name, `—` on the side that lacks the tensor.
    static func sides(_ e: DiffReport.Entry) -> [String] {
        switch e.status {
        case .onlyA: return [e.storedNames[0], "—"]
        case .onlyB: return ["—", e.storedNames[0]]
        default: return e.storedNames
        }
    }
}
