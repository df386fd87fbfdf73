import CNZooCore
import Foundation

/// Recognises a checkpoint format from content, never from the file extension, by asking every registered
/// `FormatPlugin` (`Formats.all`).
public enum FormatDetector {
    /// Detects the format of `bytes` (a whole file, or at least its first `FormatProbe.headLength` bytes).
    public static func detect(_ bytes: UnsafeRawBufferPointer) -> DetectedFormat {
        Formats.detect(FormatProbe(bytes: bytes))?.match.detected ?? .unknown
    }

    /// Detects the format of the file or folder at `path`.
    public static func detect(path: String) throws -> DetectedFormat {
        if isDirectory(path) { return Formats.detect(FormatProbe(folder: path))?.match.detected ?? .unknown }
        let f = try MappedFile(path: path)
        return Formats.detect(FormatProbe(bytes: f.bytes, path: path))?.match.detected ?? .unknown
    }

    /// Whether `path` names a folder.
    static func isDirectory(_ path: String) -> Bool {
        var dir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &dir) && dir.boolValue
    }
}
