import ArgumentParser
import CNZooCore
import CNZooMapping
import CNZooZoo
import Foundation

/// `cnzoo info ID [--json]`: everything the zoo knows about one entry.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one zoo entry: architecture, cost, every release (URL, hash, accuracy, preprocessing, "
            + "license, cache state) and the parameter names each convention expects.")

    @Argument(help: "The zoo id (see 'cnzoo list').")
    var id: String

    @Flag(help: "Print JSON (a stable contract for other tools).")
    var json = false

    @Flag(help: "Leave out the parameter-name table.")
    var noNames = false

    @Option(help: ArgumentHelp("Show only these conventions' names in the table (repeatable).", valueName: "name"))
    var convention: [String] = []

    @OptionGroup var zoo: ZooOptions

    /// The `--json` report.
    struct Report: Encodable {
        let entry: ZooEntry
        let cached: [String: String?]
        let conventions: [String]
        let expectedParameters: [ExpectedParameter]

        enum CodingKeys: String, CodingKey {
            case entry, cached, conventions
            case expectedParameters = "expected_parameters"
        }
    }

    func run() throws {
        try reportingErrors(json: json) {
            let registry = try zoo.registry()
            let entry = try registry.entry(id)
            let cache = zoo.cache
            var cached: [String: String?] = [:]
            for s in entry.sources {
                let p = cache.path(entry: entry, source: s)
                cached[s.id] = p.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
            }
            let (conventions, expected) = ExpectedParameter.table(for: entry.spec)
            if json {
                try Output.printJSON(Report(entry: entry, cached: cached, conventions: conventions,
                                            expectedParameters: expected))
                return
            }
            print(Info.describe(entry, cached: cached))
            if !noNames {
                var shown = conventions.filter { $0 != "canonical" }
                if !convention.isEmpty {
                    let wanted = try convention.map { name -> String in
                        guard let c = Conventions.named(name), conventions.contains(c.name) else {
                            throw CNZooError(.usage, "no convention '\(name)' names \(entry.family) (known: "
                                             + conventions.joined(separator: ", ") + ")")
                        }
                        return c.name
                    }
                    shown = shown.filter { wanted.contains($0) }
                }
                print("")
                print("expected parameters (\(expected.count) tensors; shapes canonical; named by "
                      + conventions.joined(separator: ", ") + "):")
                let header = ["canonical", "shape"] + shown
                let rows = expected.map { p in
                    [p.canonical, "[" + p.shape.map(String.init).joined(separator: ",") + "]"]
                        + shown.map { c in
                            let name = p.names[c] ?? "-"
                            return p.shapes[c].map { name + " [" + $0.map(String.init).joined(separator: ",") + "]" } ?? name
                        }
                }
                print(Output.table(header, rows))
            }
        }
    }

    /// The canonical parameter list of `spec` and, per naming convention that knows the family, the name each
    /// parameter has there.
    /// The human description of an entry and its sources.
    static func describe(_ e: ZooEntry, cached: [String: String?]) -> String {
        var out: [String] = []
        func field(_ k: String, _ v: String, indent: String = "") {
            out.append(indent + k.padding(toLength: 14, withPad: " ", startingAt: 0) + v)
        }
        out.append("\(e.id): \(e.title)")
        field("family", e.family)
        field("architecture", e.spec.summary)
        switch e.architecture {
        case .convnext(let a):
            field("", "kernel \(a.kernelSize), patch \(a.patchSize), layer scale \(a.layerScale ? "on" : "off"), "
                  + "\(a.inChannels) input channels")
        case .convmixer(let a):
            field("", "activation \(a.activation) (not recorded in the weights), \(a.inChannels) input channels")
        }
        field("resolution", "\(e.resolution)x\(e.resolution)")
        field("parameters", "\(Output.grouped(e.parameters)) (\(String(format: "%.1fM", Double(e.parameters) / 1e6)))")
        field("compute", "\(Output.grouped(e.macs)) MACs (\(String(format: "%.2f", e.gflops)) GFLOPs)")
        field("supported", "convert \(e.supported.convert ? "yes" : "not yet"), "
              + "verify \(e.supported.verify ? "yes" : "not yet")")
        for n in e.notes ?? [] { field("note", n) }
        out.append("")
        out.append("sources (\(e.sources.count)):")
        for s in e.sources {
            out.append("  \(s.id)")
            let naming = s.convention.map { "\($0) naming" } ?? "naming unknown"
            field("framework", "\(s.framework), \(naming)", indent: "    ")
            field("dataset", datasetName(s.dataset), indent: "    ")
            field("url", s.url ?? "none published", indent: "    ")
            if let f = s.fileName {
                var size = ""
                if let b = s.sizeBytes { size = " (\(Output.grouped(b)) bytes)" } else if let mb = s.sizeMBPublished {
                    size = " (\(mb) MB as published)"
                }
                field("file", f + size, indent: "    ")
            }
            let hash: String
            switch s.hashExpectation {
            case .full(let h): hash = h
            case .prefix(let p): hash = "\(p)… (prefix as published; full hash not published)"
            case .none: hash = "none published"
            }
            field("sha256", hash, indent: "    ")
            if let k = s.stateDictKey { field("wrapped in", "'\(k)'", indent: "    ") }
            if let a = s.accuracy {
                let t1 = a.top1.map { String($0) } ?? "-"
                let t5 = a.top5.map { String($0) } ?? "-"
                field("top-1/top-5", "\(t1) / \(t5)  (\(a.publishedIn))", indent: "    ")
            } else {
                field("top-1/top-5", "none published", indent: "    ")
            }
            if let p = s.preprocessing { field("eval", describe(p), indent: "    ") }
            field("license", s.license ?? "unknown", indent: "    ")
            if !(s.aliases ?? []).isEmpty { field("aliases", (s.aliases ?? []).joined(separator: ", "), indent: "    ") }
            field("cached", (cached[s.id] ?? nil) ?? "no", indent: "    ")
            for n in s.notes ?? [] { field("note", n, indent: "    ") }
        }
        return out.joined(separator: "\n")
    }

    static func datasetName(_ d: String) -> String {
        switch d {
        case "in1k": return "ImageNet-1k"
        case "in22k": return "ImageNet-22k (21841-class head)"
        case "in22k-ft-in1k": return "ImageNet-22k pre-trained, ImageNet-1k fine-tuned"
        default: return d
        }
    }

    static func describe(_ p: ZooPreprocessing) -> String {
        var parts: [String] = []
        if let r = p.resize { parts.append("resize \(r)" + (p.resizeMode.map { " (\($0))" } ?? "")) }
        if let c = p.crop { parts.append("center crop \(c)") }
        if let c = p.cropPct { parts.append("crop_pct \(c)") }
        if let i = p.interpolation { parts.append(i) }
        if let m = p.mean { parts.append("mean \(m)") }
        if let s = p.std { parts.append("std \(s)") }
        if p.normalizationInModel == true { parts.append("applied inside the model to 0–255 pixels") }
        return parts.isEmpty ? "not published" : parts.joined(separator: ", ")
    }
}
