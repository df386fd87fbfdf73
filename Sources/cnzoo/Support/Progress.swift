import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress bar on stderr (bytes or items done, rate, ETA), redrawn at most ten times a second. Draws
/// nothing unless stderr is a terminal and the caller did not ask for quiet.
final class ProgressBar {
    private let total: Int
    private let label: String
    /// Counted items (`images`), or nil for bytes.
    private let unit: String?
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drew = false

    init(total: Int, label: String, quiet: Bool, unit: String? = nil) {
        self.total = total
        self.label = label
        self.unit = unit
        enabled = !quiet && isatty(STDERR_FILENO) != 0
    }

    /// Records that `done` of `total` bytes are finished.
    func update(_ done: Int) {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 || done >= total else { return }
        lastDraw = now
        drew = true
        fputs("\r" + line(done: done, elapsed: now.timeIntervalSince(start)) + "\u{1B}[K", stderr)
    }

    /// Clears the bar so the summary starts on a clean line.
    func finish() {
        guard enabled, drew else { return }
        fputs("\r\u{1B}[K", stderr)
    }

    /// The bar text, e.g. `convert [########------------] 41%  120.3 MiB  350.2 MiB/s  ETA 1s`.
    func line(done: Int, elapsed: TimeInterval) -> String {
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let width = 24
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        if let unit {
            return "\(label) [\(bar)] \(Int(fraction * 100))%  \(done)/\(total) \(unit)  "
                + String(format: "%.1f", rate) + " \(unit)/s  ETA \(Int(eta.rounded(.up)))s"
        }
        return "\(label) [\(bar)] \(Int(fraction * 100))%  \(Output.bytes(done))  \(Output.bytes(Int(rate)))/s  "
            + "ETA \(Int(eta.rounded(.up)))s"
    }
}
