/// Comparisons of logit rows.
public enum LogitComparison {
    /// The index of the largest value (the first one on ties).
    public static func argmax(_ row: ArraySlice<Float>) -> Int {
        var best = row.startIndex
        for i in row.indices where row[i] > row[best] { best = i }
        return best - row.startIndex
    }

    /// The `k` largest indices, best first (ties keep the lower index first).
    public static func topK(_ row: ArraySlice<Float>, _ k: Int) -> [Int] {
        let idx = Array(0..<row.count)
        let base = row.startIndex
        return Array(idx.sorted { row[base + $0] > row[base + $1] || (row[base + $0] == row[base + $1] && $0 < $1) }.prefix(k))
    }

    /// The gap between the best and the second-best value (how decisive the top-1 is).
    public static func top1Gap(_ row: ArraySlice<Float>) -> Float {
        let t = topK(row, 2)
        guard t.count == 2 else { return .infinity }
        return row[row.startIndex + t[0]] - row[row.startIndex + t[1]]
    }

    /// The largest absolute difference between two equally long sequences (infinity if lengths differ or a NaN
    /// shows up).
    public static func maxAbsDiff<A: Collection, B: Collection>(_ a: A, _ b: B) -> Float
        where A.Element == Float, B.Element == Float {
        guard a.count == b.count else { return .infinity }
        var worst: Float = 0
        for (x, y) in zip(a, b) {
            let d = abs(x - y)
            if d.isNaN { return .infinity }
            worst = max(worst, d)
        }
        return worst
    }
}
