import CNZooCore
import CNZooMapping
import CNZooTestSupport
import CNZooZoo
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// `cnzoo fetch` end to end: the built binary downloads from a real HTTP server on loopback through a test manifest.
@Suite(.serialized) final class FetchTests {
    let scratch: String
    let served: String
    let manifests: String
    let cache: String
    let server: LoopbackServer
    /// 1 MB of deterministic bytes (a linear congruential sequence), and its sha256.
    let payload: [UInt8]
    let sha: String
    /// The sha256 of the Hub folder's config.json (the served copy of Fixtures/transformers/micro/config.json).
    let hubConfigSHA: String
    static let cutAt = 300_000

    init() throws {
        scratch = try TestSupport.makeScratchDirectory("cnzoo-fetch")
        served = scratch + "/served"
        manifests = scratch + "/zoo"
        cache = scratch + "/cache"
        for d in [served, manifests] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        var x: UInt32 = 12345
        payload = (0..<1_000_000).map { _ in
            x = x &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: x >> 24)
        }
        try TestSupport.writeFile(served + "/weights.bin", payload)
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(atPath: TestSupport.fixture("transformers/micro/" + name), toPath: served + "/" + name)
        }
        hubConfigSHA = try SHA256.hash(file: served + "/config.json")
        var h = SHA256()
        h.update(payload)
        sha = h.finalizeHex()
        server = try LoopbackServer(root: served, cutAt: FetchTests.cutAt)
        try writeManifest(base: server.base)
    }

    deinit {
        server.stop()
        TestSupport.removeScratch(scratch)
    }

    /// One entry, `test_tiny`, with one source per server behaviour.
    func writeManifest(base: String) throws {
        let spec = ConvNeXtSpec.variant("tiny")!
        let macs = spec.macs(resolution: 224)
        func source(_ id: String, _ path: String, sha256: String? = nil, prefix: String? = nil) -> String {
            func q(_ s: String?) -> String { s.map { "\"\($0)\"" } ?? "null" }
            return """
            {"id": "\(id)", "framework": "pytorch", "convention": "torchvision", "url": "\(base)/\(path)",
             "file_name": "weights.bin", "sha256": \(q(sha256)), "sha256_prefix": \(q(prefix)), "dataset": "in1k",
             "accuracy": null, "license": null, "preprocessing": null}
            """
        }
        let sources = [
            source("full", "files/weights.bin", sha256: sha),
            source("prefix", "files/weights.bin", prefix: String(sha.prefix(8))),
            source("wrong", "files/weights.bin", sha256: String(repeating: "0", count: 64)),
            source("wrong-prefix", "files/weights.bin", prefix: "00000000"),
            source("cut", "cut-once/weights.bin", sha256: sha),
            source("no-range", "no-range/weights.bin", sha256: sha),
            source("missing", "files/absent.bin", sha256: sha),
            source("unverified", "files/weights.bin"),
            source("redirected", "redirect/weights.bin", sha256: sha),
            """
            {"id": "hub", "framework": "pytorch", "convention": "transformers", "url": "https://huggingface.co/acme/micro",
             "file_name": "micro", "sha256": null, "sha256_prefix": null, "dataset": "in1k", "accuracy": null,
             "license": null, "preprocessing": null,
             "huggingface": {"repo": "acme/micro", "revision": "main", "endpoint": "\(base)",
                             "files": [{"name": "config.json", "sha256": "\(hubConfigSHA)"},
                                       {"name": "model.safetensors", "sha256": null}]}}
            """,
        ]
        let json = """
        {"version": 1, "family": "convnext", "entries": [{"id": "test_tiny", "family": "convnext", "title": "test",
          "resolution": 224, "architecture": {"depths": [3,3,9,3], "dims": [96,192,384,768], "kernel_size": 7,
          "patch_size": 4, "layer_scale": true, "num_classes": 1000, "in_channels": 3},
          "parameters": \(spec.parameterCount), "macs": \(macs), "gflops": \(ZooValidator.roundedGFLOPs(macs)),
          "supported": {"convert": true, "verify": true}, "sources": [\(sources.joined(separator: ",\n"))]}]}
        """
        try TestSupport.writeFile(manifests + "/test.json", Array(json.utf8))
    }

    func fetch(_ source: String, _ extra: [String] = []) throws -> TestSupport.RunResult {
        try TestSupport.run(["fetch", "test_tiny", "--source", source, "--manifest-dir", manifests] + extra,
                            environment: ["CNZOO_HOME": cache])
    }

    func cached(_ source: String) -> String { "\(cache)/test_tiny/\(source)/weights.bin" }
    func exists(_ p: String) -> Bool { FileManager.default.fileExists(atPath: p) }

    /// Files left in a source's cache directory.
    func leftovers(_ source: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(cache)/test_tiny/\(source)")) ?? []).sorted()
    }

    @Test func fullHashSuccessPlacesTheVerifiedFile() throws {
        let r = try fetch("full")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == cached("full") + "\n")
        #expect(r.stderr.contains("verified sha256 \(sha)"))
        #expect(try TestSupport.readFile(cached("full")) == payload)
        #expect(leftovers("full") == ["weights.bin"])
        // A second fetch finds it in place and verified, and the cache resolves the id to it.
        let again = try fetch("full")
        #expect(again.status == 0 && again.stderr.contains("already present and verified"))
        let registry = try ZooRegistry.load(directory: manifests)
        let resolved = try ZooCache(root: cache).resolve("test_tiny", source: "full", in: registry)
        #expect(resolved.path == cached("full") && resolved.source.id == "full")
        let fromEnv = try ZooCache.resolveCached("test_tiny", environment: ["CNZOO_HOME": cache,
                                                                            "CNZOO_ZOO_DIR": manifests])
        #expect(fromEnv.path == cached("full"))
        let notFetched = try #require(throws: CNZooError.self) {
            try ZooCache(root: cache).resolve("test_tiny", source: "prefix", in: registry)
        }
        #expect(notFetched.message.contains("run 'cnzoo fetch test_tiny --source prefix' first"))
    }

    /// A Hugging Face source fetches every file of the folder from the Hub route; the folder then reads as a model.
    @Test func hubFolderFetchesEveryFile() throws {
        let refused = try fetch("hub")
        #expect(refused.status == 2 && refused.stderr.contains("model.safetensors") && refused.stderr.contains("--allow-unverified"))
        #expect(!exists("\(cache)/test_tiny/hub/micro"))
        let r = try fetch("hub", ["--allow-unverified", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let folder = "\(cache)/test_tiny/hub/micro"
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(doc["path"] as? String == folder && doc["verified"] as? String == "none")
        let files = try #require(doc["files"] as? [[String: Any]])
        #expect(files.map { $0["name"] as? String } == ["config.json", "model.safetensors"])
        #expect(files.map { $0["verified"] as? String } == ["full", "none"])
        for name in ["config.json", "model.safetensors"] {
            #expect(try TestSupport.readFile(folder + "/" + name)
                    == TestSupport.readFile(TestSupport.fixture("transformers/micro/" + name)))
        }
        let inspect = try TestSupport.run(["inspect", folder])
        #expect(inspect.status == 0 && inspect.stdout.contains("transformers"), "\(inspect.stderr)")
    }

    @Test func redirectsAreFollowed() throws {
        let r = try fetch("redirected")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try TestSupport.readFile(cached("redirected")) == payload)
    }

    @Test func listAndInfoShowWhatIsCached() throws {
        #expect(try fetch("prefix").status == 0)
        let env = ["CNZOO_HOME": cache]
        let list = try TestSupport.run(["list", "--json", "--manifest-dir", manifests], environment: env)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(rows.first?["cached"] as? [String] == ["prefix"])
        let table = try TestSupport.run(["list", "--manifest-dir", manifests], environment: env)
        #expect(table.stdout.contains("  prefix  "))
        let info = try TestSupport.run(["info", "test_tiny", "--json", "--manifest-dir", manifests], environment: env)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        let cachedPaths = try #require(doc["cached"] as? [String: Any])
        #expect(cachedPaths["prefix"] as? String == cached("prefix"))
        #expect(cachedPaths["full"] is NSNull)
    }

    @Test func prefixVerification() throws {
        let r = try fetch("prefix")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("verified sha256 prefix \(sha.prefix(8))"))
        #expect(try TestSupport.readFile(cached("prefix")) == payload)
    }

    @Test func hashMismatchLeavesNothing() throws {
        for source in ["wrong", "wrong-prefix"] {
            let r = try fetch(source)
            #expect(r.status == 2, "\(r.stderr)")
            #expect(r.stderr.contains("sha256 mismatch"))
            #expect(r.stderr.contains("got \(sha)"))
            #expect(r.stderr.contains(source == "wrong" ? "expected " + String(repeating: "0", count: 64)
                                                        : "expected 00000000… (published prefix)"))
            #expect(r.stderr.contains("the download was deleted"))
            #expect(leftovers(source) == [], "\(source): \(leftovers(source))")
        }
        let registry = try ZooRegistry.load(directory: manifests)
        #expect(throws: CNZooError.self) { try ZooCache(root: cache).resolve("test_tiny", source: "wrong", in: registry) }
    }

    /// A failed fetch into a fresh cache leaves no empty folders behind (the cache root included).
    @Test func failuresLeaveNoEmptyFolders() throws {
        for source in ["missing", "wrong"] {
            let r = try fetch(source)
            #expect(r.status != 0, "\(source): \(r.stderr)")
            #expect(!exists(cache), "\(source) left \(cache)")
        }
        // Folders that were there before are kept.
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        #expect(try fetch("missing").status != 0)
        #expect(exists(cache) && !exists("\(cache)/test_tiny"))
    }

    /// A proxy that cannot be reached is named as the proxy, not blamed on the server.
    @Test func anUnreachableProxyIsNamed() throws {
        let proxy = "http://127.0.0.1:9"   // the discard port: nothing listens on loopback
        let r = try TestSupport.run(["fetch", "test_tiny", "--source", "full", "--manifest-dir", manifests],
                                    environment: ["CNZOO_HOME": cache, "http_proxy": proxy, "no_proxy": "",
                                                  "NO_PROXY": ""])
        #expect(r.status == 4, "\(r.stderr)")
        #expect(r.stderr.contains("cannot reach the proxy \(proxy) (from $http_proxy) for \(server.base)"), "\(r.stderr)")
        #expect(!exists(cache))
    }

    @Test func resumeAfterACutConnection() throws {
        let first = try fetch("cut")
        #expect(first.status == 4, "\(first.stderr)")
        #expect(first.stderr.contains("\(FetchTests.cutAt) bytes kept in \(cached("cut")).part"))
        #expect(first.stderr.contains("run the same command again to resume"))
        #expect(!exists(cached("cut")))
        #expect(try TestSupport.readFile(cached("cut") + ".part") == Array(payload[0..<FetchTests.cutAt]))

        let second = try fetch("cut")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("resumed after 300,000 bytes"))
        #expect(try TestSupport.readFile(cached("cut")) == payload)
        #expect(leftovers("cut") == ["weights.bin"])
    }

    @Test func completePartialDownloadIsVerifiedAndPlaced() throws {
        // The earlier run was cut after the last byte: the resume request gets 416, and the .part is checked as is.
        let dir = "\(cache)/test_tiny/full"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try TestSupport.writeFile(dir + "/weights.bin.part", payload)
        let r = try fetch("full")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try TestSupport.readFile(cached("full")) == payload)
        #expect(leftovers("full") == ["weights.bin"])
    }

    @Test func oversizedPartialDownloadIsRejectedAndDeleted() throws {
        let dir = "\(cache)/test_tiny/full"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try TestSupport.writeFile(dir + "/weights.bin.part", payload + [1, 2, 3])
        let r = try fetch("full")
        #expect(r.status == 2)
        #expect(r.stderr.contains("sha256 mismatch") && r.stderr.contains("the download was deleted"))
        #expect(leftovers("full") == [])
    }

    @Test func concurrentFetchOfTheSameFileIsRefused() throws {
        let dir = "\(cache)/test_tiny/full"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let part = dir + "/weights.bin.part"
        try TestSupport.writeFile(part, Array(payload[0..<1000]))
        // Hold the lock a running fetch would hold.
        let fd = open(part, O_RDWR)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX) == 0)
        let r = try fetch("full")
        #expect(r.status == 3)
        #expect(r.stderr.contains("another cnzoo fetch is downloading into \(part)"))
        #expect(try TestSupport.readFile(part) == Array(payload[0..<1000]))
        #expect(!exists(cached("full")))
    }

    @Test func serverIgnoringRangeRestartsCleanly() throws {
        let dir = "\(cache)/test_tiny/no-range"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // A stale partial download whose bytes are wrong: the server answers 200, so it must be discarded.
        try TestSupport.writeFile(dir + "/weights.bin.part", [UInt8](repeating: 0xAB, count: 1234))
        let r = try fetch("no-range")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try TestSupport.readFile(cached("no-range")) == payload)
        #expect(leftovers("no-range") == ["weights.bin"])
    }

    @Test func notFoundIsANetworkErrorAndLeavesNothing() throws {
        let r = try fetch("missing")
        #expect(r.status == 4)
        #expect(r.stderr.contains("HTTP 404 Not Found for \(server.base)/files/absent.bin"))
        #expect(leftovers("missing") == [])
    }

    @Test func serverDownIsANetworkErrorAndLeavesNothing() throws {
        // Start a second server only to learn a free port, then stop it: nothing listens there any more.
        let other = try LoopbackServer(root: served, cutAt: 1)
        let deadBase = other.base
        other.stop()
        let downDir = scratch + "/zoo-down"
        try FileManager.default.createDirectory(atPath: downDir, withIntermediateDirectories: true)
        let text = try String(contentsOfFile: manifests + "/test.json", encoding: .utf8)
            .replacingOccurrences(of: server.base, with: deadBase)
        try TestSupport.writeFile(downDir + "/test.json", Array(text.utf8))
        let r = try TestSupport.run(["fetch", "test_tiny", "--source", "full", "--manifest-dir", downDir],
                                    environment: ["CNZOO_HOME": cache])
        #expect(r.status == 4)
        #expect(r.stderr.contains("cannot connect to \(deadBase)"), "\(r.stderr)")
        #expect(leftovers("full") == [])
    }

    @Test func unverifiableSourceNeedsConsent() throws {
        let refused = try fetch("unverified")
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("publishes no hash") && refused.stderr.contains("--allow-unverified"))
        #expect(leftovers("unverified") == [])
        let allowed = try fetch("unverified", ["--allow-unverified"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stderr.contains("not verified (no published hash); sha256 \(sha)"))
    }

    @Test func dirOptionDownloadsOutsideTheCache() throws {
        let out = scratch + "/elsewhere"
        let r = try fetch("full", ["--dir", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try TestSupport.readFile(out + "/weights.bin") == payload)
        #expect(!exists(cached("full")))
    }

    @Test func unknownIdAndSourceAreClear() throws {
        let r = try TestSupport.run(["fetch", "convnext_tinyy", "--manifest-dir", manifests],
                                    environment: ["CNZOO_HOME": cache])
        #expect(r.status == 2 && r.stderr.contains("no zoo entry 'convnext_tinyy'"))
        let s = try fetch("nope")
        #expect(s.status == 2 && s.stderr.contains("has no source 'nope'"))
    }
}
