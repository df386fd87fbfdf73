import ArgumentParser
import CNZooCore
import CNZooMapping

/// `cnzoo diff A B`: compare two checkpoints across formats and conventions, tensor by tensor, on canonical names.
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

    @Flag(help: "Print a JSON report (a stable contract for other tools).")
    var json = false

    @Option(help: ArgumentHelp("Naming convention of both files (default: detected for each).",
                               valueName: Conventions.names.joined(separator: "|")))
    var from: String?

    @Flag(help: "List equal tensors too.")
    var all = false

    @OptionGroup var reading: ReadingOptions

    /// One compared tensor.
    struct Entry: Encodable {
        enum Status: String, Encodable {
            case equal, different, shapeMismatch = "shape-mismatch", dtypeMismatch = "dtype-mismatch"
            case onlyA = "only-a", onlyB = "only-b"
        }
        let name: String
        let status: Status
        let dtype: [String]
        let shape: [[Int]]
        /// max |a−b| over elements, for floating tensors of the same shape (nil otherwise).
        let maxAbsDiff: Double?
    }

    struct Side: Encodable {
        let file: String
        let format: String
        let convention: String
        let architecture: String
        let variant: String?
        let confidence: Double
    }

    struct Report: Encodable {
        let a: Side
        let b: Side
        let identical: Bool
        let counts: [String: Int]
        let tensors: [Entry]
    }

    func run() throws {
        let code: Int32 = try reportingErrors {
            // Unmapped tensors are carried so that a tensor on one side only is reported, not fatal.
            let la = try CanonicalLoader.load(a, reading: reading, from: from, allowUnmapped: true, keepOptimizer: true)
            let lb = try CanonicalLoader.load(b, reading: reading, from: from, allowUnmapped: true, keepOptimizer: true)
            let entries = try compare(la.canonical, lb.canonical)
            var counts: [String: Int] = [:]
            for e in entries { counts[e.status.rawValue, default: 0] += 1 }
            let identical = entries.allSatisfy { $0.status == .equal }
            func side(_ l: CanonicalCheckpoint) -> Side {
                Side(file: l.path, format: l.format.checkpointFormat?.rawValue ?? l.format.rawValue,
                     convention: l.detection.convention.name, architecture: l.detection.family,
                     variant: l.detection.variant, confidence: l.detection.confidence)
            }
            let report = Report(a: side(la), b: side(lb), identical: identical, counts: counts,
                                tensors: all || json ? entries : entries.filter { $0.status != .equal })
            if json {
                try Output.printJSON(report)
            } else {
                print("A: \(a) (\(report.a.format), \(report.a.convention), \(report.a.variant ?? report.a.architecture))")
                print("B: \(b) (\(report.b.format), \(report.b.convention), \(report.b.variant ?? report.b.architecture))")
                if !report.tensors.isEmpty {
                    print(Output.table(["tensor", "status", "dtype", "shape", "max |a-b|"], report.tensors.map { e in
                        [e.name, e.status.rawValue, e.dtype.joined(separator: " / "),
                         e.shape.map { "\($0)" }.joined(separator: " / "),
                         e.maxAbsDiff.map { String(format: "%.6g", $0) } ?? ""]
                    }))
                }
                print(identical ? "identical: \(entries.count) tensors equal"
                      : "different: " + counts.keys.sorted().map { "\(counts[$0]!) \($0)" }.joined(separator: ", "))
            }
            return identical ? ExitStatus.ok : ExitStatus.checkFailed
        }
        if code != ExitStatus.ok { throw ExitCode(code) }
    }

    /// Compares canonical checkpoints: A's tensors in order, then B's extras.
    func compare(_ x: Checkpoint, _ y: Checkpoint) throws -> [Entry] {
        var yIndex: [String: Int] = [:]
        for (i, t) in y.tensors.enumerated() { yIndex[t.name] = i }
        var seen = Set<String>()
        var out: [Entry] = []
        for t in x.tensors {
            seen.insert(t.name)
            guard let j = yIndex[t.name] else {
                out.append(Entry(name: t.name, status: .onlyA, dtype: [t.dtype.rawValue], shape: [t.shape], maxAbsDiff: nil))
                continue
            }
            out.append(try TensorComparison.compare(t, y.tensors[j]))
        }
        for t in y.tensors where !seen.contains(t.name) {
            out.append(Entry(name: t.name, status: .onlyB, dtype: [t.dtype.rawValue], shape: [t.shape], maxAbsDiff: nil))
        }
        return out
    }
}

/// Tensor-by-tensor comparison for `diff`.
enum TensorComparison {
    static func compare(_ a: TensorEntry, _ b: TensorEntry) throws -> Diff.Entry {
        let dtypes = [a.dtype.rawValue, b.dtype.rawValue]
        let shapes = [a.shape, b.shape]
        guard a.shape == b.shape else {
            return .init(name: a.name, status: .shapeMismatch, dtype: dtypes, shape: shapes, maxAbsDiff: nil)
        }
        let floating = DTypeCast.canConvert(from: a.dtype, to: .f32) && DTypeCast.canConvert(from: b.dtype, to: .f32)
        if a.dtype == b.dtype {
            let same = try a.data.withContiguousBytes { pa in try b.data.withContiguousBytes { pb in pa.elementsEqual(pb) } }
            if same { return .init(name: a.name, status: .equal, dtype: dtypes, shape: shapes, maxAbsDiff: 0) }
            return .init(name: a.name, status: .different, dtype: dtypes, shape: shapes,
                         maxAbsDiff: floating ? try maxAbsDiff(a, b) : nil)
        }
        return .init(name: a.name, status: .dtypeMismatch, dtype: dtypes, shape: shapes,
                     maxAbsDiff: floating ? try maxAbsDiff(a, b) : nil)
    }

    /// max |a−b| with both sides widened exactly to Double (so f16/bf16 compare as their f32 values); NaN on
    /// either side at the same position counts as different only when the other is not NaN.
    static func maxAbsDiff(_ a: TensorEntry, _ b: TensorEntry) throws -> Double {
        guard let wa = a.dtype.byteWidth, let wb = b.dtype.byteWidth else { return .nan }
        return try a.data.withContiguousBytes { pa in
            try b.data.withContiguousBytes { pb in
                let n = min(pa.count / wa, pb.count / wb)
                var worst = 0.0
                for i in 0..<n {
                    let x = DTypeCast.toDouble(load(pa, i, wa), from: a.dtype)
                    let y = DTypeCast.toDouble(load(pb, i, wb), from: b.dtype)
                    if x.isNaN && y.isNaN { continue }
                    let d = x == y ? 0 : abs(x - y)
                    if d.isNaN { return .infinity }
                    worst = max(worst, d)
                }
                return worst
            }
        }
    }

    private static func load(_ p: UnsafeRawBufferPointer, _ i: Int, _ width: Int) -> UInt64 {
        var bits: UInt64 = 0
        for k in 0..<width { bits |= UInt64(p[i * width + k]) << UInt64(8 * k) }
        return bits
    }
}
