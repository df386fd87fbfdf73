import CNZooCore
import CNZooTestSupport
import CNZooZoo
import Foundation
import Testing

/// End-to-end golden tests of the built binary, like swift-argument-parser's `AssertExecuteCommand`.
/// `CNZOO_UPDATE_GOLDENS=1 swift test --filter ZooTests` rewrites the files in `Tests/ZooTests/Goldens/` (review the
/// diff): the `cnzoo --help` golden changes whenever a subcommand is added.
@Suite struct CLIGoldenTests {
    static let goldens = TestSupport.packageRoot.appendingPathComponent("Tests/ZooTests/Goldens").path

    /// Runs `cnzoo` with an empty cache and the bundled manifests; compares stdout with `Goldens/<name>`.
    func assertGolden(_ name: String, _ arguments: [String]) throws {
        let home = try TestSupport.makeScratchDirectory("cnzoo-golden")
        defer { TestSupport.removeScratch(home) }
        let r = try TestSupport.run(arguments, environment: ["CNZOO_HOME": home, "CNZOO_ZOO_DIR": zooDirectory,
                                                             "COLUMNS": "120"])
        #expect(r.status == 0, "\(r.stderr)")
        let path = CLIGoldenTests.goldens + "/" + name
        if ProcessInfo.processInfo.environment["CNZOO_UPDATE_GOLDENS"] == "1" {
            try FileManager.default.createDirectory(atPath: CLIGoldenTests.goldens, withIntermediateDirectories: true)
            try TestSupport.writeFile(path, Array(r.stdout.utf8))
            return
        }
        let expected = String(decoding: try TestSupport.readFile(path), as: UTF8.self)
        let command = arguments.joined(separator: " ")
        #expect(r.stdout == expected, "cnzoo \(command) differs from \(name); rerun with CNZOO_UPDATE_GOLDENS=1 if intended")
    }

    @Test func rootHelp() throws { try assertGolden("cnzoo-help.txt", ["--help"]) }
    @Test func listHelp() throws { try assertGolden("list-help.txt", ["list", "--help"]) }
    @Test func infoHelp() throws { try assertGolden("info-help.txt", ["info", "--help"]) }
    @Test func fetchHelp() throws { try assertGolden("fetch-help.txt", ["fetch", "--help"]) }
    @Test(arguments: ["inspect", "scan", "convert", "diff", "forward", "verify"])
    func subcommandHelp(_ name: String) throws { try assertGolden("\(name)-help.txt", [name, "--help"]) }
    @Test func list() throws { try assertGolden("list.txt", ["list"]) }
    @Test func infoWithoutNames() throws {
        try assertGolden("info-convnext_tiny.txt", ["info", "convnext_tiny", "--no-names"])
    }
    @Test func infoConvMixerNames() throws {
        try assertGolden("info-convmixer_768_32-mindcv.txt", ["info", "convmixer_768_32", "--convention", "mindcv"])
    }
    @Test func listConvMixer() throws { try assertGolden("list-convmixer.txt", ["list", "--family", "convmixer"]) }

    @Test func listJSONIsTheManifestContract() throws {
        let r = try TestSupport.run(["list", "--json"], environment: ["CNZOO_ZOO_DIR": zooDirectory,
                                                                      "CNZOO_HOME": "/nonexistent-cnzoo-home"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        let registry = try ZooRegistry.load(directory: zooDirectory)
        #expect(rows.compactMap { $0["id"] as? String } == registry.entries.map(\.id))
        let tiny = try #require(rows.first { $0["id"] as? String == "convnext_tiny" })
        #expect(tiny["parameters"] as? Int == 28_589_128)
        #expect((tiny["best_top1"] as? [String: Any])?["source"] as? String == "official-in22k-ft-in1k")
        #expect((tiny["sources"] as? [String])?.first == "torchvision")
        #expect((tiny["cached"] as? [String]) == [])
    }

    @Test func infoJSONListsTheExpectedParameters() throws {
        let r = try TestSupport.run(["info", "convnext_tiny", "--json"], environment: ["CNZOO_ZOO_DIR": zooDirectory])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let params = try #require(doc["expected_parameters"] as? [[String: Any]])
        #expect(params.count == 182)
        let stem = try #require(params.first)
        #expect(stem["canonical"] as? String == "stem.conv.weight")
        let names = try #require(stem["names"] as? [String: String])
        #expect(names["torchvision"] == "features.0.0.weight")
        #expect(names["official"] == "downsample_layers.0.0.weight")
        #expect(names["mindvision"] == "backbone.start_cell.0.weight")
        #expect(names["mindcv"] == "feature.0.0.weight")
        let layerScale = try #require(params.first { $0["canonical"] as? String == "stages.0.blocks.0.layer_scale" })
        #expect((layerScale["shapes"] as? [String: [Int]])?["torchvision"] == [96, 1, 1])
        #expect((doc["conventions"] as? [String]) == ["canonical", "torchvision", "official", "timm", "mindcv",
                                                     "mindvision", "keras", "transformers"])
        #expect(names["keras"] == "layers/sequential/layers/conv2d/vars/0")
        #expect(names["transformers"] == "convnext.embeddings.patch_embeddings.weight")
        let entry = try #require(doc["entry"] as? [String: Any])
        let sources = try #require(entry["sources"] as? [[String: Any]])
        #expect(sources.first?["sha256"] is NSNull)
        #expect(sources.first?["sha256_prefix"] as? String == "983f1562")
    }

    @Test func unknownFamilyAndIdFailClearly() throws {
        let env = ["CNZOO_ZOO_DIR": zooDirectory]
        let f = try TestSupport.run(["list", "--family", "resnet"], environment: env)
        #expect(f.status == 2 && f.stderr.contains("no family 'resnet'"))
        let i = try TestSupport.run(["info", "convnext"], environment: env)
        #expect(i.status == 2 && i.stderr.contains("did you mean"))
    }

    @Test func newerManifestVersionIsRefusedByTheCLI() throws {
        let dir = try TestSupport.makeScratchDirectory("cnzoo-future")
        defer { TestSupport.removeScratch(dir) }
        try TestSupport.writeFile(dir + "/future.json", Array(#"{"version": 2, "family": "convnext", "entries": []}"#.utf8))
        let r = try TestSupport.run(["list", "--manifest-dir", dir])
        #expect(r.status == 2)
        #expect(r.stderr.contains("zoo manifest version 2 is newer than the highest version this cnzoo reads (1)"))
    }
}
