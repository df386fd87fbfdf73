import CNZooCore
import CNZooMapping
#if canImport(Glibc)
import Glibc
#endif

/// The `diff --json` contract: two checkpoints compared tensor by tensor on canonical names.
public struct DiffReport: Codable, Sendable {
    /// One compared tensor.
    public struct Entry: Codable, Sendable {
        /// How the two sides of a tensor compare.
        public enum Status: String, Codable, Sendable {
            case equal, different, shapeMismatch = "shape-mismatch", dtypeMismatch = "dtype-mismatch"
            case onlyA = "only-a", onlyB = "only-b"
        }
        public var name: String
        public var status: Status
        /// The dtype on each side present.
        public var dtype: [String]
        /// The shape on each side present.
        public var shape: [[Int]]
        /// max |a−b| over elements, for floating tensors of the same shape (null otherwise).
        @NullWhenAbsent public var maxAbsDiff: Double?
    }

    /// One side as detected.
    public struct Side: Codable, Sendable {
        public var file: String
        public var format: String
        public var convention: String
        public var architecture: Family
        @NullWhenAbsent public var variant: String?
        public var confidence: Double
    }

    public var a: Side
    public var b: Side
    public var identical: Bool
    /// How many tensors have each status.
    public var counts: [String: Int]
    /// The compared tensors (all of them, or only those that differ when asked).
    public var tensors: [Entry]
}

/// Compares two checkpoints in any formats and conventions after mapping both to canonical names.
public enum CheckpointDiff {
    /// Loads both files (unmapped tensors carried, so a tensor on one side only is reported, not fatal), compares
    /// every tensor, and returns the report; `includeEqual` keeps equal tensors in `tensors`.
    public static func run(_ a: String, _ b: String, options: LoadOptions = LoadOptions(),
                           includeEqual: Bool = true) throws -> DiffReport {
        var options = options
        options.allowUnmapped = true
        options.keepOptimizer = true
        let la = try CheckpointLoader.load(a, options: options)
        let lb = try CheckpointLoader.load(b, options: options)
        // Pages of both mapped inputs are handed back after each tensor, so memory stays flat.
        let releasers = [MappedPageReleaser(la.source), MappedPageReleaser(lb.source)]
        let entries = try compare(la.canonical, lb.canonical) { releasers.forEach { $0.release() } }
        var counts: [String: Int] = [:]
        for e in entries { counts[e.status.rawValue, default: 0] += 1 }
        func side(_ l: LoadedCheckpoint) -> DiffReport.Side {
            DiffReport.Side(file: l.path, format: l.formatName, convention: l.detection.convention.name,
                            architecture: l.detection.family, variant: l.detection.variant,
                            confidence: l.detection.confidence)
        }
        return DiffReport(a: side(la), b: side(lb), identical: entries.allSatisfy { $0.status == .equal },
                          counts: counts, tensors: includeEqual ? entries : entries.filter { $0.status != .equal })
    }

    /// Compares canonical checkpoints: A's tensors in order, then B's extras.
    public static func compare(_ x: Checkpoint, _ y: Checkpoint, afterEach: () -> Void = {}) throws -> [DiffReport.Entry] {
        var yIndex: [String: Int] = [:]
        for (i, t) in y.tensors.enumerated() { yIndex[t.name] = i }
        var seen = Set<String>()
        var out: [DiffReport.Entry] = []
        for t in x.tensors {
            seen.insert(t.name)
            guard let j = yIndex[t.name] else {
                out.append(.init(name: t.name, status: .onlyA, dtype: [t.dtype.rawValue], shape: [t.shape], maxAbsDiff: nil))
                continue
            }
            out.append(try compare(t, y.tensors[j]))
            afterEach()
        }
        for t in y.tensors where !seen.contains(t.name) {
            out.append(.init(name: t.name, status: .onlyB, dtype: [t.dtype.rawValue], shape: [t.shape], maxAbsDiff: nil))
        }
        return out
    }

    /// One tensor pair: equal bytes, different values (with max |a−b| for floating types), or a shape/dtype mismatch.
    public static func compare(_ a: TensorEntry, _ b: TensorEntry) throws -> DiffReport.Entry {
        let dtypes = [a.dtype.rawValue, b.dtype.rawValue]
        let shapes = [a.shape, b.shape]
        guard a.shape == b.shape else {
            return .init(name: a.name, status: .shapeMismatch, dtype: dtypes, shape: shapes, maxAbsDiff: nil)
        }
        let floating = DTypeCast.canConvert(from: a.dtype, to: .f32) && DTypeCast.canConvert(from: b.dtype, to: .f32)
        if a.dtype == b.dtype {
            let same = try a.data.withContiguousBytes { pa in
                try b.data.withContiguousBytes { pb in
                    pa.count == pb.count && (pa.count == 0 || memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0)
                }
            }
            if same { return .init(name: a.name, status: .equal, dtype: dtypes, shape: shapes, maxAbsDiff: 0) }
            return .init(name: a.name, status: .different, dtype: dtypes, shape: shapes,
                         maxAbsDiff: floating ? try maxAbsDiff(a, b) : nil)
        }
        return .init(name: a.name, status: .dtypeMismatch, dtype: dtypes, shape: shapes,
                     maxAbsDiff: floating ? try maxAbsDiff(a, b) : nil)
    }

    /// max |a−b| with both sides widened exactly to Double (so f16/bf16 compare as their f32 values); NaN on
    /// both sides at the same position counts as equal.
    public static func maxAbsDiff(_ a: TensorEntry, _ b: TensorEntry) throws -> Double {
        guard let wa = a.dtype.byteWidth, let wb = b.dtype.byteWidth else { return .nan }
        return try a.data.withContiguousBytes { pa in
            try b.data.withContiguousBytes { pb in
                let n = min(pa.count / wa, pb.count / wb)
                guard n > 0, let ba = pa.baseAddress, let bb = pb.baseAddress else { return 0 }
                let xa = widener(a.dtype), xb = widener(b.dtype)
                var worst = 0.0
                for i in 0..<n {
                    let x = xa(ba, i), y = xb(bb, i)
                    if x.isNaN && y.isNaN { continue }
                    let d = x == y ? 0 : abs(x - y)
                    if d.isNaN { return .infinity }
                    worst = max(worst, d)
                }
                return worst
            }
        }
    }

    /// Reads element `i` as an exact Double (typed loads; the bit-level decoder only for f16).
    private static func widener(_ dtype: DType) -> (UnsafeRawPointer, Int) -> Double {
        switch dtype {
        case .f64: return { Double(bitPattern: $0.loadUnaligned(fromByteOffset: 8 * $1, as: UInt64.self).littleEndian) }
        case .f32: return { Double(Float(bitPattern: $0.loadUnaligned(fromByteOffset: 4 * $1, as: UInt32.self).littleEndian)) }
        case .bf16:
            return { Double(Float(bitPattern: UInt32($0.loadUnaligned(fromByteOffset: 2 * $1, as: UInt16.self).littleEndian) << 16)) }
        default:
            return { DTypeCast.toDouble(UInt64($0.loadUnaligned(fromByteOffset: 2 * $1, as: UInt16.self).littleEndian), from: dtype) }
        }
    }
}
