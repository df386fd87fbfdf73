import CNZooCore
import CNZooMapping
import CNZooTestSupport
import CNZooZoo
import Foundation
import Testing

/// The bundled `Zoo/` directory.
let zooDirectory = TestSupport.packageRoot.appendingPathComponent("Zoo").path

@Suite struct BundledManifestTests {
    @Test func bundledManifestsLoadAndCoverTheSeeds() throws {
        let registry = try ZooRegistry.load(directory: zooDirectory)
        #expect(registry.manifests.count == 2)
        let ids = registry.entries.map(\.id)
        #expect(Set(ids).count == ids.count)
        for size in ["tiny", "small", "base", "large", "xlarge"] {
            let e224 = try registry.entry("convnext_\(size)")
            let e384 = try registry.entry("convnext_\(size)_384")
            let e22k = try registry.entry("convnext_\(size)_in22k")
            #expect(e224.resolution == 224 && e384.resolution == 384 && e22k.resolution == 224)
            #expect(e224.architecture.numClasses == 1000 && e22k.architecture.numClasses == 21841)
            // Every 224/384 entry carries the official 22k->1k release and the MindSpore Vision one (seed 001).
            for e in [e224, e384] {
                #expect(e.sources.contains { $0.id == "official-in22k-ft-in1k" && $0.dataset == "in22k-ft-in1k" })
                #expect(e.sources.contains { $0.convention == "mindvision" && $0.framework == "mindspore" })
            }
            #expect(Set(e22k.sources.map(\.dataset)) == ["in22k"])
            // transformers has base/large/xlarge 22k heads and every 224 1k release but tiny/small 22k->1k.
            let hub = e22k.sources.compactMap(\.huggingface?.repo)
            #expect(hub == (["base", "large", "xlarge"].contains(size) ? ["facebook/convnext-\(size)-224-22k"] : []))
            #expect(e224.sources.contains { $0.huggingface?.repo == "facebook/convnext-\(size)-224-22k-1k" }
                    == ["base", "large", "xlarge"].contains(size))
            #expect(e224.supported == ZooSupport(convert: true, verify: true))
        }
        for id in ["convmixer_1536_20", "convmixer_768_32", "convmixer_1024_20_ks9_p14"] {
            let e = try registry.entry(id)
            #expect(e.family == "convmixer")
            #expect(e.supported == ZooSupport(convert: true, verify: true))
        }
        #expect(registry.entries.count == 18)
    }

    @Test func releasesKeepTheirOwnAccuracies() throws {
        let tiny = try ZooRegistry.load(directory: zooDirectory).entry("convnext_tiny")
        func top1(_ id: String) -> Double? { tiny.sources.first { $0.id == id }?.accuracy?.top1 }
        #expect(top1("torchvision") == 82.52)
        #expect(top1("official-in1k") == 82.1)
        #expect(top1("official-in22k-ft-in1k") == 82.9)
        #expect(top1("mindvision") == 82.5)
        #expect(top1("mindcv") == 81.91)
        #expect(tiny.sources.first { $0.id == "mindvision" }?.dataset == "in22k-ft-in1k")
        #expect(tiny.bestTop1?.source.id == "official-in22k-ft-in1k")
        let tv = try #require(tiny.sources.first { $0.id == "torchvision" })
        #expect(tv.sha256Prefix == "983f1562" && tv.sha256 == nil)
        #expect(tv.fileName == "convnext_tiny-983f1562.pth")
        #expect(tv.hashExpectation == .prefix("983f1562"))
    }

    /// Keras applications publishes a full sha256 per ImageNet file (top and `_notop`); base/large/xlarge are the
    /// 22k→1k weights, tiny/small 1k, per its docstring; the model normalizes 0–255 pixels itself.
    @Test func kerasSourcesCarryThePublishedHashes() throws {
        let registry = try ZooRegistry.load(directory: zooDirectory)
        let sizes = ["tiny": "in1k", "small": "in1k", "base": "in22k-ft-in1k", "large": "in22k-ft-in1k",
                     "xlarge": "in22k-ft-in1k"]
        for (size, dataset) in sizes {
            let entry = try registry.entry("convnext_\(size)")
            for id in ["keras", "keras-notop"] {
                let s = try #require(entry.sources.first { $0.id == id }, "convnext_\(size) has no \(id) source")
                #expect(s.framework == Framework.keras.rawValue && s.convention == "keras")
                #expect(s.sha256?.count == 64, "\(size) \(id): no full sha256")
                #expect(s.hashExpectation == .full(try #require(s.sha256)))
                #expect(s.dataset == dataset)
                #expect(s.preprocessing?.normalizationInModel == true)
                #expect(s.fileName == "convnext_\(size)" + (id == "keras" ? ".h5" : "_notop.h5"))
            }
        }
        let tiny = try registry.entry("convnext_tiny").sources.first { $0.id == "keras" }
        #expect(tiny?.sha256 == "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff")
    }

    /// The stored costs must be what the Swift architecture specs compute — not numbers typed in.
    @Test func costsEqualTheArchitectureSpecs() throws {
        let registry = try ZooRegistry.load(directory: zooDirectory)
        for e in registry.entries {
            let spec: any ArchitectureSpec
            switch e.architecture {
            case .convnext(let a):
                var s = try #require(ConvNeXtSpec.variants.first { $0.spec.depths == a.depths && $0.spec.dims == a.dims })
                    .spec
                s.numClasses = a.numClasses
                spec = s
            case .convmixer(let a):
                var s = try #require(ConvMixerSpec.variants.first { $0.spec.dim == a.dim && $0.spec.depth == a.depth })
                    .spec
                s.numClasses = a.numClasses
                spec = s
            }
            #expect(e.parameters == spec.parameterCount, "\(e.id) parameters")
            #expect(e.macs == spec.macs(resolution: e.resolution), "\(e.id) macs")
            #expect(abs(e.gflops - (spec.gflops(resolution: e.resolution) * 100).rounded() / 100) < 1e-9, "\(e.id) gflops")
        }
    }

    /// Cross-check against counts published by the frameworks themselves (torchvision weight metadata, timm probe,
    /// formats.md §4.1 and §5.1).
    @Test func parameterCountsMatchPublishedOnes() throws {
        let registry = try ZooRegistry.load(directory: zooDirectory)
        let published = ["convnext_tiny": 28_589_128, "convnext_small": 50_223_688, "convnext_base": 88_591_464,
                         "convnext_large": 197_767_336, "convmixer_768_32": 21_110_248,
                         "convmixer_1024_20_ks9_p14": 24_383_464]
        for (id, n) in published { #expect(try registry.entry(id).parameters == n, "\(id)") }
        // torchvision's and the official README's GFLOPs (one decimal) are the MACs in billions, rounded.
        for (id, g) in ["convnext_tiny": 4.5, "convnext_small": 8.7, "convnext_base": 15.4, "convnext_large": 34.4,
                        "convnext_tiny_384": 13.1, "convnext_small_384": 25.5, "convnext_large_384": 101.0,
                        "convnext_xlarge": 60.9, "convnext_xlarge_384": 179.0] {
            let macs = Double(try registry.entry(id).macs)
            #expect((macs / 1e8).rounded() / 10 == g, "\(id)")
        }
    }

    @Test func manifestsSatisfyTheSchemaStructure() throws {
        let schema = SchemaSubset(try SchemaSubset.parse(file: zooDirectory + "/schema.json"))
        #expect(schema.unsupportedKeywords().isEmpty, "schema uses keywords the Swift checker ignores")
        for name in ["convnext.json", "convmixer.json"] {
            let doc = try SchemaSubset.parse(file: zooDirectory + "/" + name)
            #expect(schema.errors(doc) == [], "\(name)")
        }
    }

    @Test func schemaCheckerRejectsBrokenManifests() throws {
        let schema = SchemaSubset(try SchemaSubset.parse(file: zooDirectory + "/schema.json"))
        var text = try String(contentsOfFile: zooDirectory + "/convmixer.json", encoding: .utf8)
        text = text.replacingOccurrences(of: "\"dataset\": \"in1k\"", with: "\"dataset\": \"imagenet\"")
        text = text.replacingOccurrences(of: "\"resolution\": 224", with: "\"resolution\": \"224\"")
        let doc = try Array(text.utf8).withUnsafeBytes { try JSONParser.parse($0) }
        let errors = schema.errors(doc)
        #expect(errors.contains { $0.contains("dataset") && $0.contains("not one of") })
        #expect(errors.contains { $0.contains("resolution") && $0.contains("expected integer") })
    }
}

/// Version handling, the way swift-format treats its configuration `version`.
@Suite struct ManifestVersionTests {
    /// A minimal valid manifest (one entry, computed costs) with `version` and extra JSON spliced in.
    static func manifest(version: String, topExtra: String = "", entryExtra: String = "",
                         sourceExtra: String = "") -> Data {
        let spec = ConvNeXtSpec.variant("tiny")!
        let macs = spec.macs(resolution: 224)
        return Data("""
        {"version": \(version), "family": "convnext", \(topExtra)
         "entries": [{"id": "convnext_tiny", "family": "convnext", "title": "T", "resolution": 224, \(entryExtra)
           "architecture": {"depths": [3,3,9,3], "dims": [96,192,384,768], "kernel_size": 7, "patch_size": 4,
                            "layer_scale": true, "num_classes": 1000, "in_channels": 3},
           "parameters": \(spec.parameterCount), "macs": \(macs), "gflops": \(ZooValidator.roundedGFLOPs(macs)),
           "supported": {"convert": true, "verify": true},
           "sources": [{"id": "tv", "framework": "pytorch", "convention": "torchvision", \(sourceExtra)
                        "url": "https://example.invalid/x.pth", "file_name": "x.pth", "sha256": null,
                        "sha256_prefix": "983f1562", "dataset": "in1k", "accuracy": null, "license": null,
                        "preprocessing": null}]}]}
        """.utf8)
    }

    @Test func currentVersionLoads() throws {
        let m = try ZooRegistry.decodeManifest(Self.manifest(version: "1"), file: "t.json")
        #expect(m.version == 1 && m.entries.count == 1)
    }

    @Test func olderVersionLoadsInANewerReader() throws {
        let m = try ZooRegistry.decodeManifest(Self.manifest(version: "1"), file: "t.json", highestSupportedVersion: 2)
        #expect(m.entries.first?.id == "convnext_tiny")
    }

    @Test func additiveFieldsAreNotABreak() throws {
        let data = Self.manifest(version: "1", topExtra: #""maintainer": "someone", "#,
                                 entryExtra: #""paper": {"arxiv": "2201.03545"}, "#,
                                 sourceExtra: #""mirrors": ["https://example.invalid/y.pth"], "#)
        let m = try ZooRegistry.decodeManifest(data, file: "t.json")
        #expect(m.entries.first?.sources.first?.sha256Prefix == "983f1562")
    }

    @Test func newerMajorIsRefusedNamingBothVersions() throws {
        let error = try #require(throws: CNZooError.self) {
            try ZooRegistry.decodeManifest(Self.manifest(version: "2"), file: "future.json")
        }
        #expect(error.code == .unsupported)
        #expect(error.file == "future.json")
        #expect(error.message.contains("version 2") && error.message.contains("(1)"))
        #expect(error.message.contains("upgrade cnzoo"))
    }

    @Test func newerMajorIsRefusedEvenWhenTheRestIsUnreadable() throws {
        let data = Data(#"{"version": 3, "entries": "a new layout"}"#.utf8)
        let error = try #require(throws: CNZooError.self) { try ZooRegistry.decodeManifest(data, file: "f.json") }
        #expect(error.code == .unsupported && error.message.contains("version 3"))
    }

    @Test func missingVersionIsRejected() throws {
        let data = Data(#"{"family": "convnext", "entries": []}"#.utf8)
        let error = try #require(throws: CNZooError.self) { try ZooRegistry.decodeManifest(data, file: "f.json") }
        #expect(error.code == .malformed && error.message.contains("'version'"))
    }

    @Test func wrongCostsAreRejected() throws {
        let good = String(decoding: Self.manifest(version: "1"), as: UTF8.self)
        let bad = good.replacingOccurrences(of: "\"parameters\": \(ConvNeXtSpec.variant("tiny")!.parameterCount)", with: "\"parameters\": 28000000")
        #expect(bad != good)
        let error = try #require(throws: CNZooError.self) {
            try ZooRegistry.decodeManifest(Data(bad.utf8), file: "f.json")
        }
        #expect(error.message.contains("parameters 28000000 differ from the architecture's 28589128"))
    }

    @Test func badHashesAndHeadsAreRejected() throws {
        let cases: [(String, String, String)] = [
            ("\"sha256_prefix\": \"983f1562\"", "\"sha256_prefix\": \"983F\"", "sha256_prefix"),
            ("\"sha256\": null", "\"sha256\": \"abc\"", "sha256 must be 64"),
            ("\"dataset\": \"in1k\"", "\"dataset\": \"in22k\"", "21841-class head"),
            ("\"file_name\": \"x.pth\"", "\"file_name\": \"../x.pth\"", "plain file_name"),
        ]
        let good = String(decoding: Self.manifest(version: "1"), as: UTF8.self)
        for (from, to, expected) in cases {
            let bad = good.replacingOccurrences(of: from, with: to)
            #expect(bad != good)
            let error = try #require(throws: CNZooError.self) {
                try ZooRegistry.decodeManifest(Data(bad.utf8), file: "f.json")
            }
            #expect(error.message.contains(expected), "\(error)")
        }
    }
}
