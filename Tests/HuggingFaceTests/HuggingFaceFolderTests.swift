import CNZooConversion
import CNZooCore
import CNZooFormats
import CNZooHuggingFace
import CNZooMapping
import CNZooNumPy
import CNZooSafeTensors
import CNZooTestSupport
import CNZooVerify
import Foundation
import Testing

/// What Fixtures/generate_transformers.py recorded (expected.json).
struct TransformersExpected: Decodable {
    struct Tensor: Decodable { let name: String; let dtype: String; let shape: [Int]; let sha256: String }
    struct Folder: Decodable { let files: [String]; let `class`: String; let tensors: [Tensor]? }
    let folders: [String: Folder]
    let micro_tensors: [Tensor]

    static func load() throws -> TransformersExpected {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestSupport.fixture("transformers/expected.json")))
        return try JSONDecoder().decode(TransformersExpected.self, from: data)
    }

    /// The tensors of fixture folder `name` as transformers / timm wrote them.
    func tensors(_ name: String) throws -> [Tensor] { try folders[name]?.tensors ?? micro_tensors }
}

/// Hugging Face model folders written by the real transformers 4.57.6 and timm (Fixtures/transformers), read by
/// content through the registry.
@Suite struct HuggingFaceReadTests {
    static let micro = ["micro", "micro_bin", "micro_sharded", "micro_sharded_bin"]
    static let all = micro + ["backbone", "timm_hub"]

    /// Every tensor of every folder form, bit for bit, under the names transformers (or timm) gave it.
    @Test(arguments: all)
    func readsEveryTensorOfTheFolder(_ name: String) throws {
        let want = try TransformersExpected.load().tensors(name)
        let (ckpt, format) = try CheckpointIO.read(path: TestSupport.fixture("transformers/" + name))
        #expect(format.checkpointFormat == .huggingface)
        #expect(format == (name.hasSuffix("_bin") ? .huggingfacePyTorch : .huggingfaceSafeTensors))
        #expect(ckpt.tensors.count == want.count)
        let byName = Dictionary(uniqueKeysWithValues: ckpt.tensors.map { ($0.name, $0) })
        for w in want {
            let t = try #require(byName[w.name], "\(w.name)")
            #expect(t.shape == w.shape && t.dtype.rawValue == w.dtype, "\(w.name)")
            let bytes = try t.data.readAll()
            #expect(bytes.withUnsafeBytes { SHA256.hash($0) } == w.sha256, "\(w.name)")
        }
        #expect(ckpt.metadata[HubMetadata.configFileKey] == TestSupport.fixture("transformers/\(name)/config.json"))
    }

    /// config.json names the convention and the folder class decides the prefix and head.
    @Test(arguments: all)
    func detectsConventionAndHead(_ name: String) throws {
        let loaded = try CheckpointLoader.load(TestSupport.fixture("transformers/" + name))
        let spec = try #require(loaded.detection.spec as? ConvNeXtSpec)
        #expect(spec.depths == [1, 1, 2, 1] && spec.dims == [8, 16, 24, 32])
        #expect(loaded.detection.convention.name == (name == "timm_hub" ? "timm" : "transformers"))
        #expect(spec.numClasses == (name == "backbone" ? 0 : 10))
        #expect(loaded.report.mapped == loaded.source.tensors.count)
    }

    /// The final norm's eps comes from config.json's layer_norm_eps (1e-12 by default, 0.01 in backbone/);
    /// every other LayerNorm keeps 1e-6, GELU is exact.
    @Test func finalNormEpsFollowsConfig() throws {
        for (name, eps) in [("micro", Float(1e-12)), ("backbone", Float(0.01))] {
            let loaded = try CheckpointLoader.load(TestSupport.fixture("transformers/" + name))
            let n = ModelLoader.numerics(of: loaded.detection, metadata: loaded.source.metadata)
            #expect(n == Numerics(gelu: .erf, layerNormEps: 1e-6, headNormEps: eps), "\(name)")
        }
        let bare = try #require(Conventions.named("hf")?.numerics(family: .convnext))
        #expect(bare.headNormEps == 1e-12)
    }

    /// cnzoo's forward pass of every classification folder reproduces transformers' recorded logits.
    @Test(arguments: micro)
    func logitsMatchTransformers(_ name: String) throws {
        let input = try NumPyFormat.read(path: TestSupport.fixture("transformers/micro_input.npy"))
        let want = try NumPyFormat.read(path: TestSupport.fixture("transformers/micro_logits_transformers.npy")).floats()
        let loaded = try ModelLoader.load(TestSupport.fixture("transformers/" + name))
        let got = try loaded.model.forward(try input.floats(), batch: input.shape[0], height: input.shape[2],
                                           width: input.shape[3])
        #expect(got.count == want.count)
        let diff = zip(got, want).map { abs($0 - $1) }.max() ?? .infinity
        #expect(diff < 1e-4, "max |Δlogit| \(diff)")
    }

    /// The timm Hub folder reproduces timm's logits.
    @Test func timmHubFolderMatchesTimm() throws {
        let input = try NumPyFormat.read(path: TestSupport.fixture("transformers/micro_input.npy"))
        let want = try NumPyFormat.read(path: TestSupport.fixture("transformers/timm_hub_logits_timm.npy")).floats()
        let loaded = try ModelLoader.load(TestSupport.fixture("transformers/timm_hub"))
        let got = try loaded.model.forward(try input.floats(), batch: 2, height: 32, width: 32)
        #expect((zip(got, want).map { abs($0 - $1) }.max() ?? .infinity) < 1e-4)
    }

    /// `cnzoo forward` on a sharded folder writes transformers' logits.
    @Test func forwardCLIOnShardedFolder() throws {
        let dir = try TestSupport.makeScratchDirectory("hf-forward")
        defer { TestSupport.removeScratch(dir) }
        let r = try TestSupport.run(["forward", "--checkpoint", TestSupport.fixture("transformers/micro_sharded_bin"),
                                     "--input", TestSupport.fixture("transformers/micro_input.npy"),
                                     "--output", dir + "/l.npy"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("transformers names") && r.stdout.contains("head ln eps 1e-12"))
        let got = try NumPyFormat.read(path: dir + "/l.npy").floats()
        let want = try NumPyFormat.read(path: TestSupport.fixture("transformers/micro_logits_transformers.npy")).floats()
        #expect((zip(got, want).map { abs($0 - $1) }.max() ?? .infinity) < 1e-4)
    }

    /// `inspect`, `diff` and `scan` take folders; the sharded .bin folder's four pickles are all tensor-only.
    @Test func inspectDiffAndScanTakeFolders() throws {
        let i = try TestSupport.run(["inspect", TestSupport.fixture("transformers/micro_sharded"), "--json"])
        #expect(i.status == 0, "\(i.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(i.stdout.utf8)) as? [String: Any])
        #expect(obj["format"] as? String == "huggingface" && obj["convention"] as? String == "transformers")
        #expect((obj["metadata"] as? [String: String])?.keys.contains { $0.hasPrefix("cnzoo.") } == false)
        let d = try TestSupport.run(["diff", TestSupport.fixture("transformers/micro"),
                                     TestSupport.fixture("transformers/micro_sharded_bin")])
        #expect(d.status == 0, "\(d.stdout)\(d.stderr)")
        let s = try TestSupport.run(["scan", TestSupport.fixture("transformers/micro_sharded_bin"), "--json"])
        #expect(s.status == 0, "\(s.stderr)")
        let scan = try #require(try JSONSerialization.jsonObject(with: Data(s.stdout.utf8)) as? [String: Any])
        #expect(scan["verdict"] as? String == "tensor-only")
        #expect((scan["sections"] as? [Any])?.count == 4)
    }
}

/// Broken folders: each a clear error naming the file at fault.
@Suite struct HuggingFaceFolderErrorTests {
    /// A scratch directory (remove it when done) holding a copy of fixture folder `name`.
    func scratchCopy(_ name: String, _ label: String) throws -> (dir: String, folder: String) {
        let dir = try TestSupport.makeScratchDirectory(label)
        let to = dir + "/" + name
        try FileManager.default.copyItem(atPath: TestSupport.fixture("transformers/" + name), toPath: to)
        return (dir, to)
    }

    func error(reading path: String) -> CNZooError? {
        do {
            _ = try CheckpointLoader.load(path)
            return nil
        } catch let e as CNZooError {
            return e
        } catch {
            return nil
        }
    }

    func rewrite(_ path: String, _ change: (String) -> String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let changed = change(text)
        #expect(changed != text, "the edit changed nothing in \(path)")
        try changed.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func missingShardNamesTheShard() throws {
        let (dir, folder) = try scratchCopy("micro_sharded", "hf-missing")
        defer { TestSupport.removeScratch(dir) }
        try FileManager.default.removeItem(atPath: folder + "/model-00002-of-00004.safetensors")
        let e = try #require(error(reading: folder))
        #expect(e.file == folder + "/model-00002-of-00004.safetensors")
        #expect(e.message.contains("missing") && e.message.contains("model.safetensors.index.json"))
    }

    @Test func indexPointingOutsideTheFolderIsRefused() throws {
        let (dir, folder) = try scratchCopy("micro_sharded", "hf-outside")
        defer { TestSupport.removeScratch(dir) }
        try FileManager.default.copyItem(atPath: folder + "/model-00001-of-00004.safetensors", toPath: dir + "/stolen.safetensors")
        try rewrite(folder + "/model.safetensors.index.json") {
            $0.replacingOccurrences(of: "\"model-00001-of-00004.safetensors\"", with: "\"../stolen.safetensors\"")
        }
        let e = try #require(error(reading: folder))
        #expect(e.file == folder + "/model.safetensors.index.json")
        #expect(e.message.contains("outside the folder") && e.message.contains("../stolen.safetensors"))
    }

    @Test func indexDisagreeingWithShardsIsRefused() throws {
        let (dir, folder) = try scratchCopy("micro_sharded", "hf-index")
        defer { TestSupport.removeScratch(dir) }
        // The classifier bias is in the last shard; the index now places it in the first.
        try rewrite(folder + "/model.safetensors.index.json") {
            $0.replacingOccurrences(of: "\"classifier.bias\": \"model-00004-of-00004.safetensors\"",
                                    with: "\"classifier.bias\": \"model-00001-of-00004.safetensors\"")
        }
        let e = try #require(error(reading: folder))
        #expect(e.file == folder + "/model.safetensors.index.json" && e.tensor == "classifier.bias")
        #expect(e.message.contains("model-00004-of-00004.safetensors"))
    }

    @Test func configDisagreeingWithWeightsNamesBoth() throws {
        let (dir, folder) = try scratchCopy("micro", "hf-config")
        defer { TestSupport.removeScratch(dir) }
        try rewrite(folder + "/config.json") { $0.replacingOccurrences(of: "    24,\n", with: "    48,\n") }
        let e = try #require(error(reading: folder))
        #expect(e.file == folder + "/config.json")
        #expect(e.message.contains("model.safetensors") && e.message.contains("hidden_sizes [8, 16, 48, 32]")
                && e.message.contains("[8, 16, 24, 32]"))
        let r = try TestSupport.run(["convert", folder, "--to", "ms", "-o", dir + "/x.ckpt"])
        #expect(r.status != 0 && r.stderr.contains("config.json"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.ckpt"))
    }

    @Test func backboneConfigWithClassifierWeightsIsRefused() throws {
        let (dir, folder) = try scratchCopy("micro", "hf-class")
        defer { TestSupport.removeScratch(dir) }
        try rewrite(folder + "/config.json") { $0.replacingOccurrences(of: "ConvNextForImageClassification", with: "ConvNextModel") }
        let e = try #require(error(reading: folder))
        #expect(e.message.contains("no classifier") && e.message.contains("10 classes"))
    }

    @Test func twoWeightFilesNameBoth() throws {
        let (dir, folder) = try scratchCopy("micro", "hf-two")
        defer { TestSupport.removeScratch(dir) }
        try FileManager.default.copyItem(atPath: TestSupport.fixture("transformers/micro_bin/pytorch_model.bin"),
                                         toPath: folder + "/pytorch_model.bin")
        let e = try #require(error(reading: folder))
        #expect(e.message.contains("model.safetensors") && e.message.contains("pytorch_model.bin"))
        #expect(e.file == folder + "/pytorch_model.bin")
    }

    @Test func malformedConfigNamesTheOffset() throws {
        let (dir, folder) = try scratchCopy("micro", "hf-json")
        defer { TestSupport.removeScratch(dir) }
        try "{\"model_type\": \"convnext\",}".write(toFile: folder + "/config.json", atomically: true, encoding: .utf8)
        let e = try #require(error(reading: folder))
        #expect(e.file == folder + "/config.json" && e.offset != nil)
    }
}

/// `convert --convention transformers` writes model folders.
@Suite struct HuggingFaceWriteTests {
    static let source = "pytorch/torchvision_micro_f32.pth"

    func files(_ dir: String) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) { out[name] = try TestSupport.readFile(dir + "/" + name) }
        return out
    }

    @Test func writesConfigAndWeightsDeterministically() throws {
        let dir = try TestSupport.makeScratchDirectory("hf-write")
        defer { TestSupport.removeScratch(dir) }
        for out in ["a", "b"] {
            let r = try TestSupport.run(["convert", TestSupport.fixture(Self.source), "--to", "safetensors",
                                         "--convention", "transformers", "-o", dir + "/" + out])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let a = try files(dir + "/a"), b = try files(dir + "/b")
        #expect(Set(a.keys) == ["config.json", "model.safetensors"])
        #expect(a == b)
        let config = try #require(try JSONSerialization.jsonObject(with: Data(a["config.json"]!)) as? [String: Any])
        #expect(config["architectures"] as? [String] == ["ConvNextForImageClassification"])
        #expect(config["hidden_sizes"] as? [Int] == [8, 16, 32, 64] && config["depths"] as? [Int] == [1, 1, 2, 1])
        #expect((config["id2label"] as? [String: String])?.count == 10)
        #expect(config["layer_norm_eps"] as? Double == 1e-6)  // torchvision's head norm, kept
        // Nothing but the two folders is left in the parent (no staging folder).
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir)) == ["a", "b"])
        let d = try TestSupport.run(["diff", TestSupport.fixture(Self.source), dir + "/a"])
        #expect(d.status == 0, "\(d.stdout)\(d.stderr)")
    }

    /// A 1000-class model carrying no class names gets the zoo's ImageNet-1k names (torchvision's spelling) as
    /// `id2label`/`label2id`; the 10-class micro model gets transformers' own `LABEL_i`.
    @Test func thousandClassHeadsGetImageNetNames() throws {
        let dir = try TestSupport.makeScratchDirectory("hf-labels")
        defer { TestSupport.removeScratch(dir) }
        let spec = ConvNeXtSpec(depths: [1, 1, 1, 1], dims: [4, 8, 8, 8], numClasses: 1000)
        let canonical = Checkpoint(tensors: spec.parameters().map { p in
            TensorEntry(name: p.name, dtype: .f32, shape: p.shape,
                        data: .bytes([UInt8](repeating: 0x3C, count: 4 * (Checked.elementCount(p.shape) ?? 0))))
        })
        try SafeTensors.write(canonical, to: dir + "/in.safetensors")
        let r = try TestSupport.run(["convert", dir + "/in.safetensors", "--to", "safetensors", "--convention",
                                     "transformers", "-o", dir + "/out"])
        #expect(r.status == 0, "\(r.stderr)")
        let config = try #require(try JSONSerialization.jsonObject(
            with: Data(try TestSupport.readFile(dir + "/out/config.json"))) as? [String: Any])
        let id2label = try #require(config["id2label"] as? [String: String])
        #expect(id2label.count == 1000 && id2label["0"] == "tench" && id2label["999"] == "toilet tissue")
        #expect((config["label2id"] as? [String: Int])?["golden retriever"] == 207)
        let micro = try TestSupport.run(["convert", TestSupport.fixture(Self.source), "--to", "safetensors",
                                         "--convention", "transformers", "-o", dir + "/micro"])
        #expect(micro.status == 0, "\(micro.stderr)")
        let small = try #require(try JSONSerialization.jsonObject(
            with: Data(try TestSupport.readFile(dir + "/micro/config.json"))) as? [String: Any])
        #expect((small["id2label"] as? [String: String])?["3"] == "LABEL_3")
    }

    /// SIGTERM while a model folder is being written leaves neither the folder nor its hidden staging folder.
    @Test func interruptedFolderWriteLeavesNothing() throws {
        let dir = try TestSupport.makeScratchDirectory("hf-interrupt")
        defer { TestSupport.removeScratch(dir) }
        // A ConvNeXt-T-sized source (112 MB), so the write lasts long enough to be interrupted.
        let spec = ConvNeXtSpec(depths: [3, 3, 9, 3], dims: [96, 192, 384, 768], numClasses: 1000)
        try SafeTensors.write(Checkpoint(tensors: spec.parameters().map { p in
            TensorEntry(name: p.name, dtype: .f32, shape: p.shape,
                        data: .bytes([UInt8](repeating: 0, count: 4 * (Checked.elementCount(p.shape) ?? 0))))
        }), to: dir + "/in.safetensors")
        var interrupted = 0
        for attempt in 0..<3 where interrupted == 0 {
            let out = dir + "/out\(attempt)"
            let p = Process()
            p.executableURL = TestSupport.cnzooBinary
            p.arguments = ["convert", dir + "/in.safetensors", "--to", "torch", "--convention", "transformers",
                           "-o", out, "--quiet"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            let staging = dir + "/.out\(attempt).cnzoo-tmp-\(p.processIdentifier)"
            var seen = false
            for _ in 0..<4000 where p.isRunning {
                if FileManager.default.fileExists(atPath: staging + "/pytorch_model.bin") == false,
                   FileManager.default.fileExists(atPath: staging) {
                    seen = true
                    p.terminate()
                    break
                }
                usleep(1000)
            }
            p.waitUntilExit()
            if seen && p.terminationStatus == 143 {
                interrupted += 1
                #expect(!FileManager.default.fileExists(atPath: staging), "staging folder left behind")
                #expect(!FileManager.default.fileExists(atPath: out))
            }
        }
        #expect(interrupted == 1, "the conversion always finished before it could be interrupted")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }.isEmpty)
    }

    @Test func existingFolderNeedsForce() throws {
        let dir = try TestSupport.makeScratchDirectory("hf-force")
        defer { TestSupport.removeScratch(dir) }
        let out = dir + "/m"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        try "keep".write(toFile: out + "/marker", atomically: true, encoding: .utf8)
        let args = ["convert", TestSupport.fixture(Self.source), "--to", "torch", "--convention", "hf", "-o", out]
        let refused = try TestSupport.run(args)
        #expect(refused.status != 0 && refused.stderr.contains("--force"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out) == ["marker"])
        let forced = try TestSupport.run(args + ["--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: out)) == ["config.json", "pytorch_model.bin"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["m"])
    }

    @Test func shardsWithIndexReadBackIdentically() throws {
        let dir = try TestSupport.makeScratchDirectory("hf-shards")
        defer { TestSupport.removeScratch(dir) }
        let out = dir + "/s"
        let r = try TestSupport.run(["convert", TestSupport.fixture("transformers/micro"), "--to", "safetensors",
                                     "--convention", "transformers", "--max-shard-size", "40KB", "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(names.contains("model.safetensors.index.json") && names.contains("model-00001-of-00004.safetensors"))
        for shard in names where shard.hasPrefix("model-") {
            let size = try #require(try FileManager.default.attributesOfItem(atPath: out + "/" + shard)[.size] as? Int)
            #expect(size < 40_000 + 4096, "\(shard): \(size) bytes")
        }
        // The labels of a transformers source are kept; the tensors are the source's.
        let config = try String(contentsOfFile: out + "/config.json", encoding: .utf8)
        #expect(config.contains("\"class_9\"") && config.contains("\"layer_norm_eps\": 1e-12"))
        let d = try TestSupport.run(["diff", TestSupport.fixture("transformers/micro"), out])
        #expect(d.status == 0, "\(d.stdout)\(d.stderr)")
        let again = try TestSupport.run(["convert", out, "--to", "safetensors", "--convention", "transformers",
                                         "-o", dir + "/t"])
        #expect(again.status == 0, "\(again.stderr)")
        let back = try TestSupport.run(["diff", TestSupport.fixture("transformers/micro"), dir + "/t/model.safetensors"])
        #expect(back.status == 0, "\(back.stdout)\(back.stderr)")
    }

    /// Without `--convention transformers`, a folder converted `--to safetensors` keeps its names in one file.
    @Test func keptNamesWriteOneFile() throws {
        let dir = try TestSupport.makeScratchDirectory("hf-keep")
        defer { TestSupport.removeScratch(dir) }
        let out = dir + "/m.safetensors"
        let r = try TestSupport.run(["convert", TestSupport.fixture("transformers/micro_sharded"), "--to", "safetensors",
                                     "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        let (ckpt, format) = try CheckpointIO.read(path: out)
        #expect(format == .safetensors && ckpt.tensors.contains { $0.name == "convnext.layernorm.weight" })
    }

    /// `verify --checkpoint` takes a folder: round trips and forward checks pass.
    @Test func verifyTakesAFolder() throws {
        let r = try TestSupport.run(["verify", "--checkpoint", TestSupport.fixture("transformers/micro_bin")])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("huggingface, transformers names") && r.stdout.contains("PASS"))
    }

    @Test func shardSizeSpellings() throws {
        #expect(try HuggingFaceFolderOutput.parseSize("5GB") == 5_000_000_000)
        #expect(try HuggingFaceFolderOutput.parseSize("40KiB") == 40 * 1024)
        #expect(try HuggingFaceFolderOutput.parseSize("4096") == 4096)
        #expect(throws: CNZooError.self) { try HuggingFaceFolderOutput.parseSize("-3MB") }
        #expect(throws: CNZooError.self) { try HuggingFaceFolderOutput.parseSize("lots") }
    }

    @Test func shardSizeWithoutAFolderIsAUsageError() throws {
        let dir = try TestSupport.makeScratchDirectory("hf-usage")
        defer { TestSupport.removeScratch(dir) }
        let r = try TestSupport.run(["convert", TestSupport.fixture(Self.source), "--to", "safetensors",
                                     "--max-shard-size", "1MB", "-o", dir + "/x.safetensors"])
        #expect(r.status == 2 && r.stderr.contains("--max-shard-size"))
    }
}
