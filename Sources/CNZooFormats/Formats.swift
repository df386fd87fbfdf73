import CNZooCore
import CNZooMindSpore
import CNZooNumPy
import CNZooPyTorch
import CNZooSafeTensors

extension DetectedFormat {
    /// An HDF5 file (Keras weights), recognised by its signature.
    public static let hdf5 = DetectedFormat(.hdf5)
}

/// HDF5 is recognised (so a Keras `.h5` gets a clear "not readable yet") until a Keras module reads it.
struct HDF5Recognizer: FormatPlugin {
    var format: CheckpointFormat { .hdf5 }
    var summary: String { "HDF5 (Keras weights): recognised, not readable yet" }
    var fileExtension: String { "h5" }
    var canRead: Bool { false }
    var canWrite: Bool { false }

    func detect(_ probe: FormatProbe) -> FormatMatch? {
        probe.starts(with: [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) ? FormatMatch(.hdf5, .signature) : nil
    }
}

/// The format registry: every format cnzoo knows, one line each. Adding a format is one module with a
/// `FormatPlugin` plus one line here (see docs/architecture.md, "Formats").
public enum Formats {
    /// Every format plug-in. Detection takes the strongest claim; ties go to the earlier entry.
    public static let all: [any FormatPlugin] = [
        SafeTensorsPlugin(),
        PyTorchPlugin(),
        MindSporePlugin(),
        NumPyPlugin(),
        NpzPlugin(),
        HDF5Recognizer(),
    ]

    /// The plug-in for `format`, nil if none is registered.
    public static func plugin(for format: CheckpointFormat) -> (any FormatPlugin)? {
        all.first { $0.format == format }
    }

    /// The formats `CheckpointIO.write` can produce, in registry order.
    public static var writable: [CheckpointFormat] { all.filter(\.canWrite).map(\.format) }

    /// The strongest claim on `probe` and the plug-in that made it, nil when no plug-in recognises it.
    public static func detect(_ probe: FormatProbe) -> (match: FormatMatch, plugin: any FormatPlugin)? {
        var best: (match: FormatMatch, plugin: any FormatPlugin)?
        for p in all {
            guard let m = p.detect(probe) else { continue }
            if best == nil || m.strength > best!.match.strength { best = (m, p) }
        }
        return best
    }
}
