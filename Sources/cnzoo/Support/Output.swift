import CNZooCore
import Foundation

/// Shared output helpers: stable JSON for `--json`, aligned tables for people.
enum Output {
    /// Prints `value` as one JSON document in the contract's style (`CNZooJSON`: snake_case, sorted keys).
    static func printJSON<T: Encodable>(_ value: T) throws {
        print(try CNZooJSON.string(value))
    }

    /// Renders rows as a left-aligned table (right-aligned for columns listed in `rightAligned`).
    static func table(_ header: [String], _ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                let pad = String(repeating: " ", count: max(0, widths[i] - c.count))
                if i == cells.count - 1 && !rightAligned.contains(i) { return c }
                return rightAligned.contains(i) ? pad + c : c + pad
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    /// "weights: top-level key 'K'; other weights in 'X' — pass --key X" for a training checkpoint, nil otherwise.
    static func weightsLine(key: String?, others: [String]) -> String? {
        guard let key else { return nil }
        return "weights: top-level key '\(key)'" + (others.isEmpty ? ""
            : "; other weights in " + others.map { "'\($0)'" }.joined(separator: ", ") + " — pass --key \(others[0])")
    }

    /// A byte count in human units (1024-based).
    static func bytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n)
        var u = 0
        while v >= 1024, u < units.count - 1 { v /= 1024; u += 1 }
        return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
    }

    /// A duration in milliseconds to three significant figures or so (`0.412 ms`, `8.57 ms`, `41.3 ms`, `412 ms`,
    /// `4125 ms`): enough to compare runs, no digits that timer noise makes up.
    static func milliseconds(_ ms: Double) -> String {
        let a = abs(ms)
        let digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3
        return String(format: "%.\(digits)f ms", ms)
    }

    /// A throughput: `352.3 MiB/s` (nil when nothing was timed).
    static func rate(_ count: Int, seconds: Double) -> String? {
        seconds > 0 ? bytes(Int(Double(count) / seconds)) + "/s" : nil
    }

    /// An integer with thousands separators.
    static func grouped(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, ch) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 && ch != "-" { out.append(",") }
            out.append(ch)
        }
        return String(out.reversed())
    }
}
