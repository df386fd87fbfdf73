import CNZooCore
import CNZooFormats
import CNZooMapping
import CNZooTestSupport
import Foundation
import Testing

/// Conversions between checkpoints written by the real frameworks (Fixtures/pytorch by torch/torchvision,
/// Fixtures/mindspore by MindSpore/mindcv) compared with the sha256 values their generators exported.
@Suite struct RealFixtureConversionTests {
    /// (name, dtype, shape, sha256) as exported by a generator.
    struct Record: Equatable, CustomStringConvertible {
        let name: String, dtype: String, shape: [Int], sha256: String
        var description: String { "\(name) \(dtype) \(shape) \(sha256.prefix(12))" }
    }

    static func records(_ list: Any?) -> [Record] {
        ((list as? [[String: Any]]) ?? []).map {
            Record(name: $0["name"] as? String ?? "", dtype: $0["dtype"] as? String ?? "",
                   shape: $0["shape"] as? [Int] ?? [], sha256: $0["sha256"] as? String ?? "")
        }
    }

    static func expected(_ area: String) -> [String: Any] {
        let bytes = (try? TestSupport.readFile(TestSupport.fixture("\(area)/expected.json"))) ?? []
        let obj = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
        return obj?["fixtures"] as? [String: Any] ?? [:]
    }

    /// The generator's records for a torch fixture (`selection`: default or a top-level key).
    static func torch(_ file: String, _ selection: String = "default") -> [Record] {
        records((expected("pytorch")[file] as? [String: Any])?[selection])
    }

    /// The generator's records for a MindSpore fixture.
    static func mindspore(_ file: String) -> [Record] {
        records((expected("mindspore")[file] as? [String: Any])?["tensors"])
    }

    /// Records of a checkpoint file as cnzoo reads it.
    static func read(_ path: String, key: String? = nil) throws -> [Record] {
        let (c, _) = try CheckpointIO.read(path: path, options: ReadOptions(key: key))
        return try c.tensors.map { t in
            Record(name: t.name, dtype: t.dtype.rawValue, shape: t.shape,
                   sha256: try t.data.withContiguousBytes { SHA256.hash($0) })
        }
    }

    /// `records` renamed from `from` to `to` naming (shapes as `to` lays them out; bytes, hence sha256, unchanged),
    /// in `to`'s file order.
    static func renamed(_ records: [Record], from: any NamingConvention, to: any NamingConvention,
                        spec: any ArchitectureSpec, prefix: String = "") throws -> [Record] {
        let fromSlots = try #require(from.slots(for: spec)), toSlots = try #require(to.slots(for: spec))
        var byCanonical: [String: Record] = [:]
        for r in records {
            let n = r.name.hasPrefix(prefix) ? String(r.name.dropFirst(prefix.count)) : r.name
            if let s = fromSlots.first(where: { $0.name == n }) { byCanonical[s.canonical] = r }
        }
        return toSlots.compactMap { s in
            byCanonical[s.canonical].map { Record(name: s.name, dtype: $0.dtype, shape: s.shape, sha256: $0.sha256) }
        }
    }

    /// The micro ConvNeXt both generators build: depths [1,1,2,1], dims [8,16,32,64], 10 classes.
    static let spec = ConvNeXtSpec(depths: [1, 1, 2, 1], dims: [8, 16, 32, 64], numClasses: 10)

    func convert(_ input: String, _ args: [String], in dir: String, name: String) throws -> String {
        let out = dir + "/" + name
        let r = try TestSupport.run(["convert", input] + args + ["-o", out, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        return out
    }

    @Test func torchvisionToMindSporeVisionAndBack() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let src = TestSupport.fixture("pytorch/torchvision_micro_f32.pth")
        let tvRecords = Self.torch("torchvision_micro_f32.pth")
        #expect(tvRecords.count == 65)
        #expect(try Self.read(src) == tvRecords)
        let ckpt = try convert(src, ["--to", "ms"], in: dir, name: "mv.ckpt")
        let want = try Self.renamed(tvRecords, from: TorchVisionConvention(), to: MindSporeVisionConvention(), spec: Self.spec)
        #expect(want.count == 65)
        #expect(try Self.read(ckpt) == want)
        let back = try convert(ckpt, ["--to", "torch"], in: dir, name: "tv.pth")
        #expect(try Self.read(back) == tvRecords)
    }

    /// mindcv → MindSpore Vision gives exactly the file the generator wrote with MindSpore Vision names (names,
    /// order, shapes, bytes), and back.
    @Test func mindcvToMindSporeVisionMatchesGenerator() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let mv = try convert(TestSupport.fixture("mindspore/micro_mindcv_f32.ckpt"), ["--to", "ms"], in: dir, name: "mv.ckpt")
        #expect(try Self.read(mv) == Self.mindspore("micro_mindvision_f32.ckpt"))
        let mcv = try convert(TestSupport.fixture("mindspore/micro_mindvision_f32.ckpt"),
                              ["--to", "ms", "--convention", "mindcv"], in: dir, name: "mcv.ckpt")
        #expect(try Self.read(mcv) == Self.mindspore("micro_mindcv_f32.ckpt"))
    }

    @Test(arguments: ["f32", "f16", "bf16"])
    func mindcvToTorchvisionKeepsBytes(_ tag: String) throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let src = TestSupport.fixture("mindspore/micro_mindcv_\(tag).ckpt")
        let pth = try convert(src, ["--to", "torch"], in: dir, name: "tv.pth")
        let want = try Self.renamed(Self.mindspore("micro_mindcv_\(tag).ckpt"), from: MindCVConvention(),
                                    to: TorchVisionConvention(), spec: Self.spec)
        #expect(want.count == 65)
        #expect(try Self.read(pth) == want)
        // And torchvision's own f16/bf16 files go to MindSpore byte for byte.
        let tv = TestSupport.fixture("pytorch/torchvision_micro_\(tag).pth")
        let ms = try convert(tv, ["--to", "ms", "--convention", "mindcv"], in: dir, name: "mcv.ckpt")
        #expect(try Self.read(ms) == Self.renamed(Self.torch("torchvision_micro_\(tag).pth"), from: TorchVisionConvention(),
                                                  to: MindCVConvention(), spec: Self.spec))
    }

    /// The official wrapped file (`{"model": ...}`) and timm's DDP-prefixed file hold the same weights as the
    /// torchvision one: all three map to the same canonical bytes.
    @Test func officialAndTimmWrappersMapToTheSameCanonicalWeights() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let canonical = try Self.renamed(Self.torch("torchvision_micro_f32.pth"), from: TorchVisionConvention(),
                                         to: CanonicalConvention(), spec: Self.spec)
        let fromTV = try convert(TestSupport.fixture("pytorch/torchvision_micro_f32.pth"), ["--to", "safetensors", "--convention", "canonical"],
                                 in: dir, name: "tv.safetensors")
        #expect(try Self.read(fromTV) == canonical)
        let fromFB = try convert(TestSupport.fixture("pytorch/official_wrapped.pth"), ["--to", "safetensors", "--convention", "canonical"],
                                 in: dir, name: "fb.safetensors")
        #expect(try Self.read(fromFB) == canonical)
        let fromTimm = try convert(TestSupport.fixture("pytorch/timm_ema.pth"), ["--to", "safetensors", "--key", "state_dict", "--convention", "canonical"],
                                   in: dir, name: "timm.safetensors")
        #expect(try Self.read(fromTimm) == canonical)
        // Default key is the EMA copy (timm's order): different values, mapped with the `module.` prefix stripped.
        let ema = try convert(TestSupport.fixture("pytorch/timm_ema.pth"), ["--to", "torch", "--convention", "official"],
                              in: dir, name: "ema.pth")
        #expect(try Self.read(ema) == Self.renamed(Self.torch("timm_ema.pth", "state_dict_ema"), from: TimmConvention(),
                                                   to: OfficialConvention(), spec: Self.spec, prefix: "module."))
        let d = try TestSupport.run(["diff", TestSupport.fixture("pytorch/official_wrapped.pth"),
                                     TestSupport.fixture("pytorch/torchvision_micro_f32.pth")])
        #expect(d.status == 0, "\(d.stdout)")
        let d2 = try TestSupport.run(["diff", TestSupport.fixture("pytorch/timm_ema.pth"),
                                      TestSupport.fixture("pytorch/torchvision_micro_f32.pth")])
        #expect(d2.status == 1)
    }

    /// A whole MindSpore training checkpoint: the 65 weights map, optimizer state and counters are dropped.
    @Test func trainingCheckpointDropsOptimizerState() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let src = TestSupport.fixture("mindspore/train_adamw.ckpt")
        let r = try TestSupport.run(["convert", src, "--to", "torch", "-o", dir + "/w.pth", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let tensors = try #require(report["tensors"] as? [String: Int])
        #expect(tensors["mapped"] == 65 && tensors["written"] == 65)
        let all = Self.mindspore("train_adamw.ckpt")
        #expect(tensors["dropped"] == all.count - 65)
        let weights = all.filter { TensorRole.classify($0.name) == .weight && $0.shape != [] }
        #expect(try Self.read(dir + "/w.pth") == Self.renamed(weights, from: MindCVConvention(), to: TorchVisionConvention(),
                                                              spec: Self.spec))
    }

    @Test func diffAcrossFrameworksAndDtypes() throws {
        let f32 = TestSupport.fixture("mindspore/micro_mindcv_f32.ckpt")
        let same = try TestSupport.run(["diff", f32, TestSupport.fixture("mindspore/micro_mindvision_f32.ckpt")])
        #expect(same.status == 0, "\(same.stdout)")
        let half = try TestSupport.run(["diff", f32, TestSupport.fixture("mindspore/micro_mindcv_f16.ckpt"), "--json"])
        #expect(half.status == 1)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(half.stdout.utf8)) as? [String: Any])
        let entries = try #require(obj["tensors"] as? [[String: Any]])
        #expect(entries.count == 65)
        #expect(entries.allSatisfy { $0["status"] as? String == "dtype-mismatch" })
        // f16 keeps 11 significant bits: |x − f16(x)| ≤ 2^-11 |x| for these small weights.
        #expect((entries.compactMap { $0["max_abs_diff"] as? Double }.max() ?? 1) < 1e-2)
    }
}
