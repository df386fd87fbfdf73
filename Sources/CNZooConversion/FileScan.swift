import CNZooCore
import Foundation
import CNZooFormats
import CNZooHuggingFace
import CNZooNumPy
import CNZooPyTorch

/// What `cnzoo scan` found in a file of any format: whether it can carry a pickle at all, and if so what the
/// pickles would do (three levels: tensor rebuilding only; benign globals from `PickleSafety.benignGlobals`,
/// listed; anything else flagged).
public struct FileScanReport: Sendable, Codable {
    /// The verdict, worst first.
    public enum Verdict: String, Sendable, Codable {
        /// A global that could run code or touch the system when loaded in Python.
        case dangerous
        /// Something beyond tensor rebuilding and the benign allowlist.
        case unsafe
        /// Only tensor rebuilding plus benign globals (training arguments, numpy scalars): listed.
        case benign
        /// Only tensor rebuilding.
        case tensorOnly = "tensor-only"
        /// The format has no pickle: nothing in the file can execute.
        case noPickle = "no-pickle"
    }
    public var file: String
    /// The format detected from the content.
    public var format: String
    public var verdict: Verdict
    /// One sentence for people.
    public var summary: String
    /// What holds the pickles, spelled as `inspect`'s `container` (`pytorch-zip`, `pytorch-legacy`, `pickle`,
    /// `numpy` for an object-dtype `.npy`, `npz`); null without a pickle.
    @NullWhenAbsent public var container: String?
    /// One section per pickle stream scanned.
    public var sections: [PickleScanReport.Section]
    /// Everything beyond tensor rebuilding and the benign allowlist.
    public var findings: [PickleScanReport.Finding]
    /// Globals from the benign allowlist seen (listed, not flagged).
    public var benign: [String]

    /// Whether the file passes (exit 0): no finding beyond the benign allowlist.
    public var isClean: Bool { verdict != .dangerous && verdict != .unsafe }
}

/// Scans a file of any format cnzoo recognises, by content, without executing anything.
public enum FileScanner {
    /// Scans `path`. Throws (exit 2) for a file that is not a checkpoint cnzoo recognises or cannot be scanned.
    /// A model folder is scanned file by file (each weight file or shard) into one report.
    public static func scan(_ path: String) throws -> FileScanReport {
        if FileManager.default.fileExists(atPath: path + "/.") { return try scanFolder(path) }
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch { throw CNZooError.wrap(error, file: path) }
        guard let (match, _) = Formats.detect(FormatProbe(bytes: file.bytes, path: path)) else {
            throw CNZooError(.unknownFormat, "not a checkpoint cnzoo recognises (safetensors, .pth/.pt, a pickle, .ckpt, "
                             + ".npy, .npz): nothing to scan", file: path)
        }
        let format = match.detected.checkpointFormat ?? CheckpointFormat(rawValue: match.detected.rawValue)
        switch format {
        case .pytorch:
            return verdict(path, match.detected, try PyTorchFormat.scan(path: path))
        case .safetensors, .mindspore:
            return noPickle(path, format.rawValue)
        case .numpy:
            guard let start = try numpy(file.bytes, path: path) else { return noPickle(path, "numpy") }
            var report = PickleScanReport(file: path, container: match.detected.rawValue)
            try PyTorchFormat.scanPickle(file.bytes, start: start, label: "npy data", file: path, into: &report)
            return verdict(path, match.detected, report)
        case .npz:
            var report = PickleScanReport(file: path, container: match.detected.rawValue)
            try NpzArchive.forEachMember(file.bytes, file: path) { name, bytes, _ in
                try bytes.withUnsafeBytes { raw in
                    guard name.hasSuffix(".npy"), let start = try numpy(raw, path: path, member: name) else { return }
                    try PyTorchFormat.scanPickle(raw, start: start, label: name, file: path, into: &report)
                }
            }
            return report.sections.isEmpty ? noPickle(path, "npz") : verdict(path, match.detected, report)
        default:
            throw CNZooError(.unsupported, "cnzoo does not scan \(format.rawValue) files; scan covers safetensors, "
                             + ".pth/.pt, pickles, .ckpt, .npy and .npz", file: path)
        }
    }

    /// Every weight file of a Hugging Face model folder, as one report (the worst verdict; the sections and findings
    /// of every file, whose zip entry names say which file they are in).
    static func scanFolder(_ path: String) throws -> FileScanReport {
        let folder = try HuggingFaceFolder.open(path)
        let names: [String]
        switch folder.weights {
        case let .single(name): names = [name]
        case let .sharded(_, shards): names = shards
        }
        let reports = try names.map { try scan(path + "/" + $0) }
        guard reports.contains(where: { $0.verdict != .noPickle }) else {
            return noPickle(path, CheckpointFormat.huggingface.rawValue)
        }
        // The container as inspect spells the folder (`huggingface-pytorch`).
        let detected = Formats.detect(FormatProbe(folder: path))?.match.detected ?? DetectedFormat(.huggingface)
        var merged = PickleScanReport(file: path, container: detected.rawValue)
        for r in reports {
            merged.sections += r.sections
            merged.findings += r.findings
            merged.benign += r.benign.filter { !merged.benign.contains($0) }
        }
        return verdict(path, detected, merged)
    }

    /// The pickle offset of an object-dtype `.npy` (nil for numeric arrays).
    static func numpy(_ bytes: UnsafeRawBufferPointer, path: String, member: String? = nil) throws -> Int? {
        do { return try NumPyFormat.objectPickleOffset(bytes) } catch let e as CNZooError {
            throw CNZooError(e.code, (member.map { "member '\($0)': " } ?? "") + e.message, file: path, offset: e.offset)
        }
    }

    static func noPickle(_ path: String, _ format: String) -> FileScanReport {
        FileScanReport(file: path, format: format, verdict: .noPickle,
                       summary: "no pickle: nothing in this file can execute", container: nil, sections: [],
                       findings: [], benign: [])
    }

    /// The report of a file with pickles: `detected` gives the format and the container (as `inspect` spells them).
    static func verdict(_ path: String, _ detected: DetectedFormat, _ r: PickleScanReport) -> FileScanReport {
        let v: FileScanReport.Verdict
        let summary: String
        if r.findings.contains(where: { $0.severity == .dangerous }) {
            v = .dangerous
            summary = "dangerous: \(Plural.count(r.findings.count, "finding")); loading this in Python would run code; cnzoo executed nothing"
        } else if !r.findings.isEmpty {
            v = .unsafe
            summary = "unsafe: \(Plural.count(r.findings.count, "finding")) beyond tensor rebuilding; cnzoo executed nothing"
        } else if !r.benign.isEmpty {
            v = .benign
            summary = "clean: tensor rebuilding plus benign values not needed for weights (\(r.benign.joined(separator: ", ")))"
        } else {
            v = .tensorOnly
            summary = "clean: only tensor rebuilding"
        }
        return FileScanReport(file: path, format: detected.checkpointFormat?.rawValue ?? detected.rawValue, verdict: v,
                              summary: summary, container: detected.rawValue,
                              sections: r.sections, findings: r.findings, benign: r.benign)
    }
}
