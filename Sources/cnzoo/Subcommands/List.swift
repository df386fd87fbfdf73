import ArgumentParser
import CNZooCore
import CNZooZoo
import Foundation

/// `cnzoo list [--family F] [--json]`: the zoo at a glance.
struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the zoo: every architecture, its cost, its best published accuracy and its releases.",
        discussion: """
        top-1 is the best ImageNet-1k top-1 any release publishes (the publisher in parentheses, with "22k" when \
        that release was pretrained on ImageNet-22k; releases differ, see 'cnzoo info ID'). sources counts and names \
        the publishers (one may publish several releases). cached names the releases already fetched into the cache \
        ($CNZOO_HOME, else $XDG_CACHE_HOME/cnzoo, else ~/.cache/cnzoo).
        """)

    @Option(help: "Only this family (convnext, convmixer).")
    var family: String?

    @Flag(help: "Print JSON (a stable contract for other tools).")
    var json = false

    @OptionGroup var zoo: ZooOptions

    /// One row of `--json`.
    struct Row: Encodable {
        struct Best: Encodable {
            let top1: Double
            let source: String
        }
        let id: String
        let family: String
        let title: String
        let resolution: Int
        let numClasses: Int
        let parameters: Int
        let macs: Int
        let gflops: Double
        let bestTop1: Best?
        let sources: [String]
        let cached: [String]
        let supported: ZooSupport

        enum CodingKeys: String, CodingKey {
            case id, family, title, resolution, parameters, macs, gflops, sources, cached, supported
            case numClasses = "num_classes", bestTop1 = "best_top1"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(family, forKey: .family)
            try c.encode(title, forKey: .title)
            try c.encode(resolution, forKey: .resolution)
            try c.encode(numClasses, forKey: .numClasses)
            try c.encode(parameters, forKey: .parameters)
            try c.encode(macs, forKey: .macs)
            try c.encode(gflops, forKey: .gflops)
            try c.encode(bestTop1, forKey: .bestTop1)
            try c.encode(sources, forKey: .sources)
            try c.encode(cached, forKey: .cached)
            try c.encode(supported, forKey: .supported)
        }
    }

    func run() throws {
        try reportingErrors(json: json) {
            let registry = try zoo.registry()
            if let family, !registry.entries.contains(where: { $0.family == family.lowercased() }) {
                let known = Set(registry.entries.map(\.family)).sorted().joined(separator: ", ")
                throw CNZooError(.notFound, "no family '\(family)' in the zoo (known: \(known))")
            }
            let cache = zoo.cache
            let rows = registry.entries(family: family).map { e in
                Row(id: e.id, family: e.family, title: e.title, resolution: e.resolution,
                    numClasses: e.architecture.numClasses, parameters: e.parameters, macs: e.macs, gflops: e.gflops,
                    bestTop1: e.bestTop1.map { Row.Best(top1: $0.top1, source: $0.source.id) },
                    sources: e.sources.map(\.id), cached: cache.cachedSources(of: e).map(\.source.id),
                    supported: e.supported)
            }
            if json {
                try Output.printJSON(rows)
                return
            }
            print(List.render(rows, entries: registry.entries(family: family)))
        }
    }

    /// The aligned table.
    static func render(_ rows: [Row], entries: [ZooEntry]) -> String {
        let byID = Dictionary(uniqueKeysWithValues: entries.map { ($0.id, $0) })
        let header = ["id", "params", "GFLOPs", "res", "classes", "top-1", "sources", "cached", "convert/verify"]
        let cells: [[String]] = rows.map { r in
            let e = byID[r.id]
            var publishers: [String] = []
            for s in e?.sources ?? [] where !publishers.contains(s.publisher) { publishers.append(s.publisher) }
            let best = r.bestTop1.map { b in
                let source = e?.sources.first { $0.id == b.source }
                let from = (source?.publisher ?? b.source) + (source?.dataset.hasPrefix("in22k") == true ? ", 22k" : "")
                return String(format: "%.2f", b.top1) + " (" + from + ")"
            } ?? "-"
            let supported: String
            switch (r.supported.convert, r.supported.verify) {
            case (true, true): supported = "yes"
            case (true, false): supported = "convert only"
            case (false, true): supported = "verify only"
            case (false, false): supported = "not yet"
            }
            return [r.id, String(format: "%.1fM", Double(r.parameters) / 1e6), String(format: "%.2f", r.gflops),
                    String(r.resolution), String(r.numClasses), best,
                    "\(publishers.count): " + publishers.joined(separator: ","),
                    r.cached.isEmpty ? "-" : r.cached.joined(separator: ","), supported]
        }
        return Output.table(header, cells, rightAligned: [1, 2, 3, 4])
    }
}
