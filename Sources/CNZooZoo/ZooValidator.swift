import CNZooCore
import CNZooMapping

/// Checks a decoded manifest beyond what its types enforce: id and hash formats, unique ids, dataset and head
/// consistency, and that the stored parameter count, MACs and GFLOPs equal what the architecture spec computes.
public enum ZooValidator {
    /// Dataset tags a source may carry.
    public static let datasets: Set<String> = ["in1k", "in22k", "in22k-ft-in1k"]
    /// Frameworks a source may come from: the framework vocabulary, less cnzoo's own neutral naming.
    public static var frameworks: Set<String> {
        Set(Framework.known.filter { $0 != .neutral }.map(\.rawValue))
    }
    /// Parameter naming conventions a source may use.
    public static var conventions: Set<String> { Set(Conventions.names) }
    /// Classes of an ImageNet-22k head.
    public static let in22kClasses = 21841

    /// Throws a `CNZooError(.malformed)` naming the file, the entry and the problem.
    public static func validate(_ m: ZooManifest, file: String) throws {
        func fail(_ entry: String?, _ message: String) -> CNZooError {
            CNZooError(.malformed, (entry.map { "entry '\($0)': " } ?? "") + message, file: file)
        }
        guard isIdentifier(m.family) else { throw fail(nil, "family '\(m.family)' is not a lowercase identifier") }
        var ids = Set<String>()
        for e in m.entries {
            guard isIdentifier(e.id) else { throw fail(e.id, "id must match [a-z0-9_]+") }
            guard ids.insert(e.id).inserted else { throw fail(e.id, "duplicate id") }
            guard e.family == m.family else {
                throw fail(e.id, "family '\(e.family)' differs from the manifest's '\(m.family)'")
            }
            guard e.resolution > 0 else { throw fail(e.id, "resolution must be positive") }
            try checkCosts(e, fail: { fail(e.id, $0) })
            guard !e.sources.isEmpty else { throw fail(e.id, "no sources") }
            var sourceIDs = Set<String>()
            for s in e.sources {
                let where_ = "source '\(s.id)': "
                guard sourceIDs.insert(s.id).inserted else { throw fail(e.id, where_ + "duplicate source id") }
                guard s.id.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }), !s.id.isEmpty else {
                    throw fail(e.id, where_ + "source id must match [a-z0-9-]+")
                }
                guard frameworks.contains(s.framework) else {
                    throw fail(e.id, where_ + "framework '\(s.framework)' is not one of \(frameworks.sorted())")
                }
                if let c = s.convention, !conventions.contains(c) {
                    throw fail(e.id, where_ + "convention '\(c)' is not one of \(conventions.sorted())")
                }
                guard datasets.contains(s.dataset) else {
                    throw fail(e.id, where_ + "dataset '\(s.dataset)' is not one of \(datasets.sorted())")
                }
                let wantClasses = s.dataset == "in22k" ? in22kClasses : 1000
                guard e.architecture.numClasses == wantClasses else {
                    throw fail(e.id, where_ + "dataset \(s.dataset) needs a \(wantClasses)-class head, the "
                               + "architecture has \(e.architecture.numClasses)")
                }
                if let url = s.url {
                    guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
                        throw fail(e.id, where_ + "url must be http(s)")
                    }
                    guard let name = s.fileName, !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
                        throw fail(e.id, where_ + "a source with a url needs a plain file_name")
                    }
                }
                if let hub = s.huggingface {
                    let parts = hub.repo.split(separator: "/", omittingEmptySubsequences: false)
                    guard parts.count == 2, !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }),
                          !hub.revision.isEmpty, !hub.revision.contains("/"), !hub.files.isEmpty else {
                        throw fail(e.id, where_ + "huggingface needs an owner/name repo, a revision and files")
                    }
                    for f in hub.files {
                        guard !f.name.isEmpty, !f.name.contains("/"), f.name != ".", f.name != ".." else {
                            throw fail(e.id, where_ + "huggingface file '\(f.name)' must be a plain file name")
                        }
                        if let h = f.sha256, !(h.count == 64 && isLowerHex(h)) {
                            throw fail(e.id, where_ + "huggingface file \(f.name): sha256 must be 64 lowercase hex digits")
                        }
                    }
                }
                if let h = s.sha256, !(h.count == 64 && isLowerHex(h)) {
                    throw fail(e.id, where_ + "sha256 must be 64 lowercase hex digits")
                }
                if let p = s.sha256Prefix {
                    guard (8...64).contains(p.count), isLowerHex(p) else {
                        throw fail(e.id, where_ + "sha256_prefix must be 8 to 64 lowercase hex digits")
                    }
                    if let h = s.sha256, !h.hasPrefix(p) {
                        throw fail(e.id, where_ + "sha256 does not start with sha256_prefix")
                    }
                }
                if let size = s.sizeBytes, size <= 0 { throw fail(e.id, where_ + "size_bytes must be positive") }
                if let a = s.accuracy {
                    for v in [a.top1, a.top5].compactMap({ $0 }) where !(0...100).contains(v) {
                        throw fail(e.id, where_ + "accuracy \(v) is not a percentage")
                    }
                }
            }
        }
    }

    /// The stored parameter count, MACs and GFLOPs must be the spec's.
    static func checkCosts(_ e: ZooEntry, fail: (String) -> CNZooError) throws {
        let spec = e.spec
        let params = spec.parameterCount
        let macs = spec.macs(resolution: e.resolution)
        guard e.parameters == params else {
            throw fail("parameters \(e.parameters) differ from the architecture's \(params)")
        }
        guard e.macs == macs else { throw fail("macs \(e.macs) differ from the architecture's \(macs)") }
        let g = roundedGFLOPs(macs)
        guard abs(e.gflops - g) < 1e-9 else { throw fail("gflops \(e.gflops) differ from the architecture's \(g)") }
    }

    /// `macs / 1e9` rounded to two decimals, the value manifests store.
    public static func roundedGFLOPs(_ macs: Int) -> Double { (Double(macs) / 1e7).rounded() / 100 }

    static func isIdentifier(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    static func isLowerHex(_ s: String) -> Bool {
        s.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }
}
