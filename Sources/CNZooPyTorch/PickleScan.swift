import CNZooCore

/// What `cnzoo scan` reports about the pickles in a PyTorch file (or a bare pickle). Built by running the
/// data-only `PickleMachine`: names are recorded, nothing is imported or called.
public struct PickleScanReport: Sendable, Codable {
    /// One global, how often it is named, and cnzoo's verdict.
    public struct Global: Sendable, Codable {
        public let name: String
        public let count: Int
        public let verdict: PickleSafety.Verdict
    }
    /// Something beyond tensor rebuilding.
    public struct Finding: Sendable, Codable {
        /// `unsafe` (beyond tensor rebuilding and the benign allowlist) or `dangerous` (would run code in Python).
        public let severity: PickleSafety.Verdict
        public let pickle: String
        public let message: String
        /// The byte offset in the file (null when the finding has no single place).
        @NullWhenAbsent public var offset: Int?
    }
    /// One pickle stream.
    public struct Section: Sendable, Codable {
        /// The zip entry name, or `legacy[i]` / `pickle`.
        public let pickle: String
        public let opcodes: [String: Int]
        public let globals: [Global]
        /// The distinct persistent ids (the first 50, sorted) and how many distinct ones there are.
        public let persistentIDs: [String]
        public let persistentIDCount: Int
        public let calls: [String]
        /// Set when the stream could not be read to its end (what came before is still reported); null otherwise.
        @NullWhenAbsent public var error: String?

        /// `persistent_ids`, not the `persistent_i_ds` that snake_case conversion makes of `persistentIDs`.
        enum CodingKeys: String, CodingKey {
            case pickle, opcodes, globals, calls, error
            case persistentIDs = "persistent_ids", persistentIDCount = "persistent_id_count"
        }
    }

    public let file: String
    public let container: String
    public var sections: [Section] = []
    public var findings: [Finding] = []
    /// Globals on the benign allowlist (`PickleSafety.benignGlobals`) seen: listed, not flagged.
    public var benign: [String] = []

    /// Whether everything seen only rebuilds tensors or builds plain data from the benign allowlist.
    public var isClean: Bool { findings.isEmpty }

    /// Creates an empty report for `file` (`container`: what holds the pickles).
    public init(file: String, container: String) {
        self.file = file
        self.container = container
    }
}

extension PyTorchFormat {
    /// Scans `path` without executing anything. Throws when not even one pickle opcode could be read (exit 2 in the
    /// CLI); a stream that breaks after something unsafe still reports the finding.
    public static func scan(path: String) throws -> PickleScanReport {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch { throw CNZooError.wrap(error, file: path) }
        let container = container(of: file.bytes)
        var report = PickleScanReport(file: path, container: container.rawValue)
        switch container {
        case .zip:
            let archive = try ZipArchive(file: file)
            for e in archive.entries where e.name.hasSuffix(".pkl") {
                let r = try archive.storedRange(e)
                guard let bytes = file.region(r) else {
                    throw CNZooError(.truncated, "zip entry '\(e.name)' lies outside the file", file: path)
                }
                scanStream(bytes, start: 0, baseOffset: r.lowerBound, label: e.name, file: path, into: &report)
            }
            if let code = archive.entries.first(where: { $0.name.contains("/code/") }) {
                report.findings.append(.init(severity: .dangerous, pickle: code.name,
                                             message: "TorchScript code (\(code.name)): torch.jit.load runs it",
                                             offset: code.localHeaderOffset))
            }
            guard !report.sections.isEmpty else {
                throw CNZooError(.malformed, "the zip archive holds no .pkl entry", file: path)
            }
        case .legacy:
            var pos = 0
            for i in 0..<5 {
                guard let next = scanStream(file.bytes, start: pos, baseOffset: 0, label: "legacy[\(i)]", file: path,
                                            into: &report) else { break }
                pos = next
            }
        case .pickle:
            scanStream(file.bytes, start: 0, baseOffset: 0, label: "pickle", file: path, into: &report)
        }
        if report.sections.allSatisfy({ $0.error != nil && $0.opcodes.isEmpty }) && report.findings.isEmpty {
            let why = report.sections.first?.error ?? "no pickle found"
            throw CNZooError(.malformed, "could not scan: \(why)", file: path)
        }
        if report.findings.isEmpty, let broken = report.sections.first(where: { $0.error != nil }) {
            throw CNZooError(.malformed, "could not scan \(broken.pickle) to its end: \(broken.error ?? "")", file: path)
        }
        return report
    }

    /// Scans the one pickle stream starting at `start` in `bytes` (an object-dtype `.npy`'s data, an `.npz`
    /// member), labelled `label`, into `report`. A stream that cannot be read to its end without a finding throws.
    public static func scanPickle(_ bytes: UnsafeRawBufferPointer, start: Int, label: String, file: String,
                                  into report: inout PickleScanReport) throws {
        scanStream(bytes, start: start, baseOffset: 0, label: label, file: file, into: &report)
        if report.findings.isEmpty, let broken = report.sections.last, let e = broken.error {
            throw CNZooError(.malformed, "could not scan \(label) to its end: \(e)", file: file)
        }
    }

    /// Runs one stream; appends its section and findings. Returns the offset after STOP, or nil if it failed.
    @discardableResult
    static func scanStream(_ bytes: UnsafeRawBufferPointer, start: Int, baseOffset: Int, label: String, file: String,
                           into report: inout PickleScanReport) -> Int? {
        let m = PickleMachine(bytes, start: start, baseOffset: baseOffset, file: file)
        var failure: String?
        var end: Int?
        do {
            _ = try m.run()
            end = m.position
        } catch {
            failure = "\(error)"
        }
        var counts: [String: (Int, Int, PickleSafety.Verdict)] = [:]  // name → (first offset, count, verdict)
        for g in m.globals {
            let v = PickleSafety.verdict(module: g.module, name: g.name)
            let prev = counts[g.qualifiedName]
            counts[g.qualifiedName] = (prev?.0 ?? g.offset, (prev?.1 ?? 0) + 1, v)
            if prev == nil, v == .benign { report.benign.append(g.qualifiedName) }
            if prev == nil, v == .unsafe || v == .dangerous {
                let what = v == .dangerous ? "would run code or touch the system if loaded with Python"
                                           : "is not needed to rebuild tensors"
                report.findings.append(.init(severity: v, pickle: label,
                                             message: "\(g.opcode.name) \(g.qualifiedName) \(what)", offset: g.offset))
            }
        }
        let arena = m.arena
        var pids: [String] = []
        for pid in arena.persistentIDs {
            pids.append(arena.describe(pid))
            let items = arena.tupleItems(pid) ?? []
            let isStorage = items.count >= 5 && items[0] == .string("storage")
            if !isStorage {
                report.findings.append(.init(severity: .unsafe, pickle: label,
                                             message: "persistent id \(arena.describe(pid)) is not a ('storage', ...) tuple",
                                             offset: nil))
            }
        }
        do {
            try PickleSafety.refuseCodeExecution(m, file: file)
        } catch let e as CNZooError {
            if !report.findings.contains(where: { $0.severity == .dangerous && $0.offset == e.offset }) {
                report.findings.append(.init(severity: .dangerous, pickle: label, message: e.message, offset: e.offset))
            }
        } catch {}
        let calls = arena.objects.map { o in "\(o.kind.rawValue) \(o.callableName ?? "<computed>")" }
        var callCounts: [String: Int] = [:]
        for c in calls { callCounts[c, default: 0] += 1 }
        report.sections.append(.init(
            pickle: label,
            opcodes: Dictionary(uniqueKeysWithValues: m.opcodeCounts.map { ($0.key.name, $0.value) }),
            globals: counts.sorted { $0.value.0 < $1.value.0 }.map { .init(name: $0.key, count: $0.value.1, verdict: $0.value.2) },
            persistentIDs: Array(Set(pids)).sorted().prefix(50).map { $0 },
            persistentIDCount: Set(pids).count,
            calls: callCounts.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" },
            error: failure))
        return end
    }
}
