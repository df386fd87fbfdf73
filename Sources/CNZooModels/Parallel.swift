import Dispatch

/// Splits a range of rows over a few threads.
enum Parallel {
    /// Calls `body` on `parts` contiguous slices of `0..<count` concurrently (inline when `parts` ≤ 1).
    static func split(_ count: Int, parts: Int, _ body: (Range<Int>) -> Void) {
        let p = max(1, min(parts, count))
        if p == 1 { return body(0..<count) }
        DispatchQueue.concurrentPerform(iterations: p) { i in
            body((count * i / p)..<(count * (i + 1) / p))
        }
    }
}
