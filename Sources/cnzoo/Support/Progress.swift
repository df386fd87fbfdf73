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
        let text = line(done: done, elapsed: now.timeIntervalSince(start), columns: ProgressBar.terminalColumns())
        fputs("\r" + text + "\u{1B}[K", stderr)
    }

    /// Clears the bar so the summary starts on a clean line.
    func finish() {
        guard enabled, drew else { return }
        fputs("\r\u{1B}[K", stderr)
    }

    /// The width of the terminal on stderr (asked each redraw, so a resized window is followed); `$COLUMNS` when
    /// the terminal does not say, else 80.
    static func terminalColumns() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let c = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), c > 0 { return c }
        return 80
    }

    /// The bar text, e.g. `convert [########------------] 41%  120.3 MiB  350.2 MiB/s  ETA 1s`, fitted into
    /// `columns - 1` characters (a line as wide as the terminal wraps on some terminals): the bar narrows first
    /// (24 cells at most), then goes, then the text is cut.
    func line(done: Int, elapsed: TimeInterval, columns: Int) -> String {
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let figures: String
        if let unit {
            figures = "\(Int(fraction * 100))%  \(done)/\(total) \(unit)  " + String(format: "%.1f", rate)
                + " \(unit)/s  ETA \(Int(eta.rounded(.up)))s"
        } else {
            figures = "\(Int(fraction * 100))%  \(Output.bytes(done))  \(Output.bytes(Int(rate)))/s  "
                + "ETA \(Int(eta.rounded(.up)))s"
        }
        let room = columns - 1
        let width = min(24, room - label.count - figures.count - 4)   // "label [" + "] "
        if width >= 4 {
            let filled = Int((fraction * Double(width)).rounded(.down))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            return "\(label) [\(bar)] \(figures)"
        }
        return String("\(label) \(figures)".prefix(max(room, 1)))
    }
}
