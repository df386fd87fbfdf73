import CNZooCore
import CNZooEmbeddedData
import CNZooTestSupport
import CNZooZoo
import Foundation
import Testing

/// The data built into the binary (Plugins/EmbedDataPlugin) is exactly what the rule names in the checkout, byte for
/// byte, and is what cnzoo reads when nothing overrides it.
@Suite struct EmbeddedDataTests {
    /// Every `Zoo/*.json`, `Zoo/labels/*.json` and `Fixtures/**/*_logits_*.npy` in the checkout, relative to the
    /// package root.
    static func filesTheRuleNames() throws -> [String] {
        let fm = FileManager.default
        var names = try fm.contentsOfDirectory(atPath: zooDirectory).filter { $0.hasSuffix(".json") }.map { "Zoo/" + $0 }
        names += try fm.contentsOfDirectory(atPath: zooDirectory + "/labels").filter { $0.hasSuffix(".json") }
            .map { "Zoo/labels/" + $0 }
        let fixtures = TestSupport.packageRoot.appendingPathComponent("Fixtures").path
        for case let relative as String in fm.enumerator(atPath: fixtures)!
        where relative.hasSuffix(".npy") && (relative as NSString).lastPathComponent.contains("_logits_") {
            names.append("Fixtures/" + relative)
        }
        return names.sorted()
    }

    @Test func embedsEveryFileTheRuleNamesByteForByte() throws {
        let expected = try Self.filesTheRuleNames()
        #expect(expected.contains("Zoo/schema.json"))
        #expect(expected.contains("Zoo/labels/imagenet-1k.json"))
        #expect(expected.contains("Fixtures/forward/tiny_logits_torchvision.npy"))
        #expect(EmbeddedFiles.relativePaths == expected)
        for relative in expected {
            let onDisk = try TestSupport.readFile(TestSupport.packageRoot.appendingPathComponent(relative).path)
            #expect(EmbeddedFiles.contents(atPath: EmbeddedFiles.path(relative)) == onDisk, "\(relative)")
        }
    }

    /// The ImageNet-1k class names read the same built in and from the checkout: 1000 distinct names in
    /// torchvision's order; a list for another dataset or with a repeated name is refused.
    @Test func imageNetLabelsAreBuiltIn() throws {
        let builtIn = try ZooLabels.load(ZooLabels.imageNet1k, directory: ZooRegistry.builtInDirectory)
        #expect(builtIn.count == 1000)
        #expect(builtIn.first == "tench" && builtIn[207] == "golden retriever" && builtIn.last == "toilet tissue")
        #expect(try ZooLabels.load(ZooLabels.imageNet1k, directory: zooDirectory) == builtIn)
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        try FileManager.default.createDirectory(atPath: dir + "/labels", withIntermediateDirectories: true)
        try TestSupport.writeFile(dir + "/labels/imagenet-1k.json",
                                  Array(#"{"dataset": "imagenet-1k", "labels": ["a", "b", "a"]}"#.utf8))
        #expect(throws: CNZooError.self) { try ZooLabels.load(ZooLabels.imageNet1k, directory: dir) }
        #expect(throws: CNZooError.self) { try ZooLabels.load("imagenet-22k", directory: dir) }
    }

    @Test func embeddedDirectoriesListTheirOwnFilesOnly() {
        #expect(EmbeddedFiles.fileNames(inDirectory: "<built-in>/Zoo") == ["convmixer.json", "convnext.json", "schema.json"])
        #expect(EmbeddedFiles.fileNames(inDirectory: "<built-in>/Zoo/")?.count == 3)
        #expect(EmbeddedFiles.fileNames(inDirectory: "<built-in>/Fixtures")?.isEmpty != false)
        #expect(EmbeddedFiles.fileNames(inDirectory: "<built-in>/nothing") == nil)
        #expect(EmbeddedFiles.fileNames(inDirectory: zooDirectory) == nil)
        #expect(EmbeddedFiles.contents(atPath: zooDirectory + "/convnext.json") == nil)
        #expect(EmbeddedFiles.contents(atPath: "<built-in>/Zoo/missing.json") == nil)
        #expect(!EmbeddedFiles.isEmbedded("<built-in>x/Zoo") && EmbeddedFiles.isEmbedded("<built-in>"))
    }

    @Test func theRegistryDefaultsToTheBuiltInManifestsAndOverridesStillWin() throws {
        #expect(try ZooRegistry.locateDirectory(override: nil, environment: [:]) == ZooRegistry.builtInDirectory)
        #expect(try ZooRegistry.locateDirectory(override: nil, environment: ["CNZOO_ZOO_DIR": ""])
                == ZooRegistry.builtInDirectory)
        #expect(try ZooRegistry.locateDirectory(override: nil, environment: ["CNZOO_ZOO_DIR": "/elsewhere"]) == "/elsewhere")
        #expect(try ZooRegistry.locateDirectory(override: "/mine", environment: ["CNZOO_ZOO_DIR": "/elsewhere"]) == "/mine")
        let builtIn = try ZooRegistry.load(directory: ZooRegistry.builtInDirectory)
        let onDisk = try ZooRegistry.load(directory: zooDirectory)
        #expect(builtIn.entries.map(\.id) == onDisk.entries.map(\.id))
        #expect(builtIn.manifests.map(\.path) == ["<built-in>/Zoo/convmixer.json", "<built-in>/Zoo/convnext.json"])
    }

    @Test func aMissingBuiltInManifestIsNamed() {
        #expect(throws: CNZooError.self) { try ZooRegistry.loadManifest(path: "<built-in>/Zoo/none.json") }
        do {
            _ = try ZooRegistry.load(directory: "<built-in>/NoSuchZoo")
            Issue.record("loaded an empty built-in directory")
        } catch let e as CNZooError {
            #expect(e.code == .notFound && e.file == "<built-in>/NoSuchZoo")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// The binary lists the zoo from `/` with nothing pointing at the checkout.
    @Test func theBinaryListsTheZooFromAnyDirectory() throws {
        let r = try TestSupport.run(["list"], environment: ["CNZOO_ZOO_DIR": ""], currentDirectory: "/")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("convnext_tiny ") && r.stdout.contains("convmixer_768_32 "))
    }
}
