/// Overflow-checked arithmetic for sizes read from untrusted files.
public enum Checked {
    /// The element count of `shape`, or nil if a dimension is negative or the product overflows `Int`.
    public static func elementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            if o { return nil }
            n = p
        }
        return n
    }

    /// `shape`'s byte size for `dtype`, or nil on negative dims, overflow, or an unknown dtype.
    public static func byteCount(_ shape: [Int], _ dtype: DType) -> Int? {
        guard let n = elementCount(shape), let w = dtype.byteWidth else { return nil }
        let (p, o) = n.multipliedReportingOverflow(by: w)
        return o ? nil : p
    }

    /// `a + b`, or nil on overflow.
    public static func add(_ a: Int, _ b: Int) -> Int? {
        let (s, o) = a.addingReportingOverflow(b)
        return o ? nil : s
    }

    /// `a * b`, or nil on overflow.
    public static func multiply(_ a: Int, _ b: Int) -> Int? {
        let (s, o) = a.multipliedReportingOverflow(by: b)
        return o ? nil : s
    }
}
