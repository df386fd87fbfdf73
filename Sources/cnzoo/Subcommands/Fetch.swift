import ArgumentParser
import CNZooCore
import CNZooZoo
import Foundation

/// `cnzoo fetch ID [--source S] [--dir D]`: download a release, verified, into the cache.
struct Fetch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download a zoo release into the cache, resuming an interrupted download and verifying its sha256.",
        discussion: """
        The file streams into '<file>.part' and through SHA-256; it is renamed into place only once it matches the \
        published hash (the full sha256, or the prefix a release such as torchvision's puts in its file name). A \
        mismatch deletes the download and prints both hashes. An interrupted download keeps its .part and the same \
        command resumes it with a Range request. On success the final path is printed on stdout. A Hugging Face \
        source is a model folder: each of its files (config.json, the weights) is fetched this way into one folder, \
        whose path is printed.
        """)

    @Argument(help: "The zoo id (see 'cnzoo list').")
    var id: String

    @Option(help: ArgumentHelp(
        "Which release: a source id from 'cnzoo info ID' or a convention (torchvision, official, mindvision, mindcv, "
            + "timm). Default: the first release with a published hash.", valueName: "source"))
    var source: String?

    @Option(help: ArgumentHelp("Download into this directory instead of the cache.", valueName: "dir"))
    var dir: String?

    @Flag(help: "Download a release that publishes no hash (its sha256 is printed, not checked).")
    var allowUnverified = false

    @OptionGroup var zoo: ZooOptions

    @Flag(help: "Print a JSON report on stdout instead of the path (schema in docs/json/fetch.schema.json).")
    var json = false

    /// The `--json` report.
    struct Report: Encodable {
        let id: String
        let source: String
        let url: String
        let path: String
        let sha256: String
        /// `full`, `prefix` or `none`: what the published hash allowed to check.
        let verified: String
        let alreadyPresent: Bool
        let resumedFrom: Int64
        /// A Hugging Face model folder: each file fetched (absent for a single-file release).
        var files: [FileReport]?
    }

    /// One file of a model folder in the `--json` report.
    struct FileReport: Encodable {
        let name: String
        let url: String
        let sha256: String
        let verified: String
    }

    func run() throws {
        try reportingErrors(json: json) {
            let registry = try zoo.registry()
            let entry = try registry.entry(id)
            let chosen: ZooSource
            if let source {
                chosen = try entry.source(matching: source)
            } else if let s = entry.defaultDownloadSource {
                chosen = s
            } else {
                throw CNZooError(.notFound, "\(id) has no downloadable release")
            }
            if let hub = chosen.huggingface {
                let folder: String
                if let dir { folder = (dir as NSString).appendingPathComponent(chosen.fileName ?? hub.repo) } else {
                    guard let p = zoo.cache.path(entry: entry, source: chosen) else {
                        throw CNZooError(.notFound, "\(id) source \(chosen.id) has no file name")
                    }
                    folder = p
                }
                printError("fetching \(id) (\(chosen.id)): \(hub.files.count) files of \(hub.repo) at \(hub.revision)")
                let results = try Fetcher().fetchFolder(hub, to: folder, allowUnverified: allowUnverified)
                let files = zip(hub.files, results).map { f, r in
                    FileReport(name: f.name, url: hub.url(of: f.name), sha256: r.sha256,
                               verified: f.sha256 == nil ? "none" : "full")
                }
                for f in files { printError("\(f.name): sha256 \(f.sha256) (\(f.verified == "full" ? "verified" : "not verified, no published hash"))") }
                let weights = files.last { $0.name != "config.json" } ?? files[files.count - 1]
                if json {
                    try Output.printJSON(Report(id: id, source: chosen.id, url: chosen.url ?? hub.url(of: ""),
                                                path: folder, sha256: weights.sha256,
                                                verified: files.allSatisfy { $0.verified == "full" } ? "full" : "none",
                                                alreadyPresent: results.allSatisfy(\.alreadyPresent),
                                                resumedFrom: results.reduce(0) { $0 + $1.resumedFrom }, files: files))
                } else {
                    print(folder)
                }
                return
            }
            guard let urlString = chosen.url, let url = URL(string: urlString), let fileName = chosen.fileName else {
                throw CNZooError(.notFound, "\(id) source \(chosen.id) publishes no download link")
            }
            let expected = chosen.hashExpectation
            if expected == .none && !allowUnverified {
                throw CNZooError(.usage, "\(id) source \(chosen.id) publishes no hash, so the download cannot be "
                                 + "verified; pass --allow-unverified to fetch it anyway")
            }
            let destination: String
            if let dir {
                destination = (dir as NSString).appendingPathComponent(fileName)
            } else {
                guard let p = zoo.cache.path(entry: entry, source: chosen) else {
                    throw CNZooError(.notFound, "\(id) source \(chosen.id) has no file name")
                }
                destination = p
            }
            printError("fetching \(id) (\(chosen.id)) from \(urlString)")
            // The bar (drawn only on a terminal) appears once the server has said how big the file is.
            var bar: ProgressBar?
            let result = try Fetcher().fetch(url, to: destination, expected: expected, progress: { done, total in
                guard let total else { return }
                if bar == nil { bar = ProgressBar(total: Int(total), label: "fetch", quiet: json) }
                bar?.update(Int(done))
            })
            bar?.finish()
            if result.alreadyPresent {
                printError("already present and verified")
            } else if result.resumedFrom > 0 {
                printError("resumed after \(Output.grouped(Int(result.resumedFrom))) bytes")
            }
            let verified: String
            switch expected {
            case .full:
                verified = "full"
                printError("verified sha256 \(result.sha256)")
            case .prefix(let p):
                verified = "prefix"
                printError("verified sha256 prefix \(p) (sha256 \(result.sha256))")
            case .none:
                verified = "none"
                printError("not verified (no published hash); sha256 \(result.sha256)")
            }
            if json {
                try Output.printJSON(Report(id: id, source: chosen.id, url: urlString, path: result.path,
                                            sha256: result.sha256, verified: verified,
                                            alreadyPresent: result.alreadyPresent, resumedFrom: Int64(result.resumedFrom)))
            } else {
                print(result.path)
            }
        }
    }
}
