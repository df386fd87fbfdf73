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
            /// Different bytes, but every element within `atol + rtol·|b|` (only with a tolerance).
            case close
            /// The same values (or close ones), stored in another shape or axis order (torchvision's layer scale
            /// `[C,1,1]` against `[C]`, a Keras kernel against a torch weight).
            case layout
        }
        /// The canonical name (the name as stored when compared by raw names).
        public var name: String
        public var status: Status
        /// The dtype on each side present.
        public var dtype: [String]
        /// The canonical shape on each side present.
        public var shape: [[Int]]
        /// The name as each side's file spells it, one per side present.
        public var storedNames: [String]
        /// The shape as each side's file stores it, one per side present.
        public var storedShapes: [[Int]]
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
        /// The detected architecture in one line (null when unknown).
        @NullWhenAbsent public var spec: String?
        public var confidence: Double
        /// The top-level key the weights were read from (training checkpoints), and the other keys with weights.
        @NullWhenAbsent public var wrapperKey: String?
        public var otherWeightKeys: [String]

        /// For people: `convnext tiny` (family and published variant), else the one-line architecture summary.
        public var architectureName: String {
            let family = architecture.rawValue
            guard let v = variant else { return spec ?? family }
            return family + " " + (v.hasPrefix(family + "_") ? String(v.dropFirst(family.count + 1)) : v)
        }
    }

    public var a: Side
    public var b: Side
    /// `canonical` (both architectures known, compared on canonical names) or `raw-names` (compared by the names
    /// as stored, because at least one side's architecture is unknown).
    public var mode: String
    /// The tolerance asked for (`--atol`, `--rtol`); null for exact comparison.
    @NullWhenAbsent public var atol: Double?
    @NullWhenAbsent public var rtol: Double?
    /// Every tensor equal (or, with a tolerance, close), stored alike, and none on one side only.
    public var identical: Bool
    /// Every tensor's values equal (or close) on the same architecture, none on one side only; stored layouts may
    /// differ (`layout` entries). What a correct conversion between conventions gives; exit 0.
    public var equivalent: Bool
    /// Whether both sides are the same architecture (null when either is unknown).
    @NullWhenAbsent public var sameArchitecture: Bool?
    /// How many tensors have each status.
    public var counts: [String: Int]
    /// The compared tensors (all of them, or only those that differ when asked).
    public var tensors: [Entry]
}

/// Compares two checkpoints in any formats and conventions after mapping both to canonical names.
public enum CheckpointDiff {
    /// Loads both files (unmapped tensors carried, so a tensor on one side only is reported, not fatal), compares
    /// every tensor, and returns the report; `includeEqual` keeps equal tensors in `tensors`. `optionsB` reads B
    /// (default: `options`, so `--key-a`/`--key-b` can differ). When either side's architecture is unknown, both
    /// are compared by their names as stored. With `atol`/`rtol`, different values within `atol + rtol·|b|` are
    /// `close` and count as identical. Equal values stored in another shape or axis order are `layout`: equivalent,
    /// not identical. Both sides are read in full only for the tensors compared; stored names and shapes come from
    /// the headers.
    public static func run(_ a: String, _ b: String, options: LoadOptions = LoadOptions(), optionsB: LoadOptions? = nil,
                           atol: Double? = nil, rtol: Double? = nil, includeEqual: Bool = true) throws -> DiffReport {
        var options = options
        options.allowUnmapped = true
        options.keepOptimizer = true
        options.keepBuffers = true
        var optB = optionsB ?? options
        optB.allowUnmapped = true
        optB.keepOptimizer = true
        optB.keepBuffers = true
        let (ra, fa) = try CheckpointLoader.read(a, options: options)
        let (rb, fb) = try CheckpointLoader.read(b, options: optB)
        let da = options.from != nil ? try CheckpointLoader.detect(ra, from: options.from, file: a)
            : try? CheckpointLoader.detect(ra, from: nil, file: a)
        let db = optB.from != nil ? try CheckpointLoader.detect(rb, from: optB.from, file: b)
            : try? CheckpointLoader.detect(rb, from: nil, file: b)
        var x = ra, y = rb
        var sides: [DiffReport.Side] = []
        for (path, raw, format, d) in [(a, ra, fa, da), (b, rb, fb, db)] {
            sides.append(DiffReport.Side(file: path, format: format.checkpointFormat?.rawValue ?? format.rawValue,
                                         convention: d?.convention.name ?? "unknown",
                                         architecture: d?.family ?? Family(rawValue: "unknown"), variant: d?.variant,
                                         spec: d?.spec.summary, confidence: d?.confidence ?? 0,
                                         wrapperKey: WrapperKeys.used(raw), otherWeightKeys: WrapperKeys.others(raw)))
        }
        var storedA: [String: TensorEntry] = [:], storedB: [String: TensorEntry] = [:]
        if let da, let db {
            x = try CheckpointLoader.map(ra, format: fa, detection: da, path: a, options: options).canonical
            y = try CheckpointLoader.map(rb, format: fb, detection: db, path: b, options: optB).canonical
            storedA = try stored(ra, da)
            storedB = try stored(rb, db)
        }
        // Pages of both mapped inputs are handed back after each tensor, so memory stays flat.
        let releasers = [MappedPageReleaser(ra), MappedPageReleaser(rb)]
        var entries = try compare(x, y) { releasers.forEach { $0.release() } }
        // Beside each canonical name: the name and shape as each file stores them (raw-names mode: as compared).
        for i in entries.indices {
            let e = entries[i]
            var names: [String] = [], shapes: [[Int]] = []
            if e.status != .onlyB {
                names.append(storedA[e.name]?.name ?? e.name)
                shapes.append(storedA[e.name]?.shape ?? e.shape[0])
            }
            if e.status != .onlyA {
                names.append(storedB[e.name]?.name ?? e.name)
                shapes.append(storedB[e.name]?.shape ?? e.shape[e.shape.count - 1])
            }
            entries[i].storedNames = names
            entries[i].storedShapes = shapes
        }
        if atol != nil || rtol != nil {
            let yIndex = Dictionary(y.tensors.map { ($0.name, $0) }, uniquingKeysWith: { f, _ in f })
            let xIndex = Dictionary(x.tensors.map { ($0.name, $0) }, uniquingKeysWith: { f, _ in f })
            for i in entries.indices where entries[i].status == .different || entries[i].status == .dtypeMismatch {
                guard let ta = xIndex[entries[i].name], let tb = yIndex[entries[i].name] else { continue }
                if try within(ta, tb, atol: atol ?? 0, rtol: rtol ?? 0) { entries[i].status = .close }
            }
        }
        // Equal values stored in other shapes are a layout difference, not "identical".
        for i in entries.indices where [.equal, .close].contains(entries[i].status)
            && Set(entries[i].storedShapes).count > 1 {
            entries[i].status = .layout
        }
        var counts: [String: Int] = [:]
        for e in entries { counts[e.status.rawValue, default: 0] += 1 }
        var same: Bool?
        if let da, let db { same = da.family == db.family && da.spec.summary == db.spec.summary }
        let valuesMatch = entries.allSatisfy { [.equal, .close, .layout].contains($0.status) }
        return DiffReport(a: sides[0], b: sides[1], mode: da != nil && db != nil ? "canonical" : "raw-names",
                          atol: atol, rtol: rtol,
                          identical: entries.allSatisfy { $0.status == .equal || $0.status == .close },
                          equivalent: valuesMatch && same != false, sameArchitecture: same,
                          counts: counts, tensors: includeEqual ? entries : entries.filter { $0.status != .equal })
    }

    /// Each canonical name's tensor as the file stores it (its own name and shape): the mapping plan run again on
    /// names and shapes, so nothing is read.
    static func stored(_ raw: Checkpoint, _ d: Detection) throws -> [String: TensorEntry] {
        let plan = try Mapper.plan(names: raw.tensors.map(\.name), shapes: raw.tensors.map(\.shape),
                                   convention: d.convention, spec: d.spec,
                                   options: MappingOptions(prefix: d.prefix, allowUnmapped: true, keepOptimizer: true))
        var out: [String: TensorEntry] = [:]
        for (slot, src) in zip(plan.slots, plan.source) { if let src { out[slot.canonical] = raw.tensors[src] } }
        for src in plan.carried {
            let t = raw.tensors[src]
            out[t.name.hasPrefix(d.prefix) ? String(t.name.dropFirst(d.prefix.count)) : t.name] = t
        }
        return out
    }

    /// Whether every element satisfies |a−b| ≤ atol + rtol·|b| (both widened exactly to Double; NaN only
    /// matches NaN).
    public static func within(_ a: TensorEntry, _ b: TensorEntry, atol: Double, rtol: Double) throws -> Bool {
        guard a.shape == b.shape, DTypeCast.canConvert(from: a.dtype, to: .f32),
              DTypeCast.canConvert(from: b.dtype, to: .f32) else { return false }
        var ok = true
        try elementPairs(a, b) { x, y in
            if x.isNaN || y.isNaN {
                if !(x.isNaN && y.isNaN) { ok = false }
            } else if abs(x - y) > atol + rtol * abs(y) {
                ok = false
            }
            return ok
        }
        return ok
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
                out.append(.init(name: t.name, status: .onlyA, dtype: [t.dtype.rawValue], shape: [t.shape], storedNames: [t.name],
                                 storedShapes: [t.shape], maxAbsDiff: nil))
                continue
            }
            out.append(try compare(t, y.tensors[j]))
            afterEach()
        }
        for t in y.tensors where !seen.contains(t.name) {
            out.append(.init(name: t.name, status: .onlyB, dtype: [t.dtype.rawValue], shape: [t.shape], storedNames: [t.name],
                             storedShapes: [t.shape], maxAbsDiff: nil))
        }
        return out
    }

    /// One tensor pair: equal bytes, different values (with max |a−b| for floating types), or a shape/dtype mismatch.
    public static func compare(_ a: TensorEntry, _ b: TensorEntry) throws -> DiffReport.Entry {
        let dtypes = [a.dtype.rawValue, b.dtype.rawValue]
        let shapes = [a.shape, b.shape]
        func entry(_ status: DiffReport.Entry.Status, _ diff: Double?) -> DiffReport.Entry {
            .init(name: a.name, status: status, dtype: dtypes, shape: shapes, storedNames: [a.name, b.name],
                  storedShapes: shapes, maxAbsDiff: diff)
        }
        guard a.shape == b.shape else {
            return entry(.shapeMismatch, nil)
        }
        let floating = DTypeCast.canConvert(from: a.dtype, to: .f32) && DTypeCast.canConvert(from: b.dtype, to: .f32)
        if a.dtype == b.dtype {
            let same = try a.data.withContiguousBytes { pa in
                try b.data.withContiguousBytes { pb in
                    pa.count == pb.count && (pa.count == 0 || memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0)
                }
            }
            if same { return entry(.equal, 0) }
            return entry(.different, floating ? try maxAbsDiff(a, b) : nil)
        }
        return entry(.dtypeMismatch, floating ? try maxAbsDiff(a, b) : nil)
    }

    /// max |a−b| with both sides widened exactly to Double (so f16/bf16 compare as their f32 values); NaN on
    /// both sides at the same position counts as equal.
    public static func maxAbsDiff(_ a: TensorEntry, _ b: TensorEntry) throws -> Double {
        guard a.dtype.byteWidth != nil, b.dtype.byteWidth != nil else { return .nan }
        var worst = 0.0
        try elementPairs(a, b) { x, y in
            if x.isNaN && y.isNaN { return true }
            let d = x == y ? 0 : abs(x - y)
            if d.isNaN {
                worst = .infinity
                return false
            }
            worst = max(worst, d)
            return true
        }
        return worst
    }

    /// Calls `body` with each element pair widened exactly to Double, until it returns false.
    static func elementPairs(_ a: TensorEntry, _ b: TensorEntry, _ body: (Double, Double) -> Bool) throws {
        guard let wa = a.dtype.byteWidth, let wb = b.dtype.byteWidth else { return }
        try a.data.withContiguousBytes { pa in
            try b.data.withContiguousBytes { pb in
                let n = min(pa.count / wa, pb.count / wb)
                guard n > 0, let ba = pa.baseAddress, let bb = pb.baseAddress else { return }
                let xa = widener(a.dtype), xb = widener(b.dtype)
                for i in 0..<n where !body(xa(ba, i), xb(bb, i)) { return }
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
