import CNZooCore
import CNZooFormats

/// The file names formats are usually saved under, for the two things a name can get wrong: an input whose
/// extension says another format than its content (a note; cnzoo reads by content), and an output whose extension
/// does not match the format written (a warning; the file is still written as asked).
public enum FileNaming {
    /// Extensions (no dot, lowercase) other tools save each format under, besides the plug-in's own.
    private static let usual: [CheckpointFormat: [String]] = [
        .pytorch: ["pth", "pt", "bin", "tar", "pkl"],
        CheckpointFormat(rawValue: "keras"): ["weights.h5", "h5", "hdf5", "keras"],
    ]

    /// The extensions files of `format` are saved under (the plug-in's own first).
    public static func extensions(of format: CheckpointFormat) -> [String] {
        let own = Formats.plugin(for: format)?.fileExtension
        return (own.map { [$0] } ?? []) + (usual[format] ?? []).filter { $0 != own }
    }

    /// The extension `path` ends with among every registered format's, longest first (`weights.h5` before `h5`),
    /// nil when it has none cnzoo knows.
    static func knownExtension(of path: String) -> String? {
        let name = path.split(separator: "/").last.map { $0.lowercased() } ?? ""
        let all = Formats.all.flatMap { extensions(of: $0.format) }.sorted { $0.count > $1.count }
        return all.first { name.hasSuffix("." + $0) && name.count > $0.count + 1 }
    }

    /// The formats whose usual extensions include `ext`.
    static func formats(using ext: String) -> [CheckpointFormat] {
        Formats.all.map(\.format).filter { extensions(of: $0).contains(ext) }
    }

    /// A note when `path`'s extension belongs to other formats than `detected` (nil when it fits or says nothing).
    public static func inputNote(path: String, detected: DetectedFormat) -> String? {
        guard let format = detected.checkpointFormat, let ext = knownExtension(of: path) else { return nil }
        let claimed = formats(using: ext)
        guard !claimed.contains(format) else { return nil }
        let lightning = ext == "ckpt" && format == .pytorch ? " (PyTorch Lightning names its torch.save files .ckpt)" : ""
        return "the name ends in .\(ext), a \(claimed.map(\.rawValue).joined(separator: "/")) extension, but the "
            + "content is \(detected); read by content\(lightning)"
    }

    /// A warning when an output named `path` will not hold what its extension says: an extension of another
    /// format, or (Keras) one `keras.Model.load_weights` reads another way. Nil for streams and names without an
    /// extension cnzoo knows.
    public static func outputWarning(path: String, target: ConversionTarget) -> String? {
        guard !AtomicFileWriter.isStream(path), let ext = knownExtension(of: path) else { return nil }
        let wanted = target == .keras ? ["weights.h5"] : extensions(of: target.format)
        guard !wanted.contains(ext) else { return nil }
        let keras = target == .keras
            ? "; keras.Model.load_weights reads the Keras 3 layout only from a name ending in .weights.h5" : ""
        return "\(path) ends in .\(ext) but --to \(target.rawValue) writes \(target.format) "
            + "(.\(wanted[0]))\(keras); the file is written as asked"
    }
}
