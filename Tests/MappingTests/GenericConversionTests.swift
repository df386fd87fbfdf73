import CNZooCore
import CNZooFormats
import CNZooTestSupport
import Foundation
import Testing

/// Format-only conversion of architectures cnzoo does not know, MindSpore's generic naming rules, prefixes and
/// training checkpoints, against files written by real torch/torchvision/timm and real MindSpore cells
/// (Fixtures/generate_generic.py, generate_generic_mindspore.py).
@Suite struct GenericConversionTests {
    struct Tensor: Equatable {
        let dtype: DType
        let shape: [Int]
        let bytes: [UInt8]
    }

    static func read(_ path: String) throws -> [(String, Tensor)] {
        try CheckpointIO.read(path: path).0.tensors.map {
            ($0.name, Tensor(dtype: $0.dtype, shape: $0.shape, bytes: try $0.data.readAll()))
        }
    }

    static func dict(_ path: String) throws -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: try read(path))
    }

    static func fixture(_ name: String) -> String { TestSupport.fixture("generic/" + name) }

    func json(_ s: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any])
    }

    @Test func unknownArchitectureKeepsEveryNameBitExactInOrder() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        for (target, ext) in [("safetensors", "safetensors"), ("torch", "pth")] {
            let out = "\(dir)/r.\(ext)"
            let r = try TestSupport.run(["convert", Self.fixture("resnet_tiny.pth"), "--to", target, "-o", out, "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let report = try json(r.stdout)
            #expect(report["mode"] as? String == "format-only")
            #expect((report["notes"] as? [String])?.contains { $0.contains("no architecture recognised") } == true)
            let got = try Self.read(out), want = try Self.read(Self.fixture("resnet_tiny.pth"))
            #expect(got.map(\.0) == want.map(\.0))
            #expect(got.map(\.1) == want.map(\.1))
        }
        // npz in, safetensors out: the same names and bytes as the .pth (numpy wrote them from the same state dict).
        let out = dir + "/npz.safetensors"
        let r = try TestSupport.run(["convert", Self.fixture("resnet_tiny_compressed.npz"), "--to", "safetensors", "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Self.read(out).map(\.0) == Self.read(Self.fixture("resnet_tiny.pth")).map(\.0))
        #expect(try Self.dict(out) == Self.dict(Self.fixture("resnet_tiny.pth")))
    }

    @Test func resnetToMindSporeMatchesRealMindSporeCells() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let ms = dir + "/r.ckpt"
        let r = try TestSupport.run(["convert", Self.fixture("resnet_tiny.pth"), "--to", "ms", "-o", ms, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let rules = try #require(try json(r.stdout)["rules"] as? [[String: Any]])
        #expect(rules.count == 1)
        #expect(rules.first?["count"] as? Int == 12)
        #expect((rules.first?["rule"] as? String)?.hasPrefix("BatchNorm weight/bias/running_mean/running_var") == true)
        // Exactly the parameters MindSpore's own cells saved (names, shapes, bytes).
        #expect(try Self.dict(ms) == Self.dict(Self.fixture("resnet_tiny_ms.ckpt")))

        // Back to torch: every torchvision name again; BatchNorm counters recreated as int64 0.
        let pth = dir + "/back.pth"
        let b = try TestSupport.run(["convert", ms, "--to", "torch", "-o", pth])
        #expect(b.status == 0, "\(b.stderr)")
        #expect(b.stdout.contains("+ num_batches_tracked = 0"))
        var want = try Self.dict(Self.fixture("resnet_tiny.pth"))
        for k in want.keys where k.hasSuffix("num_batches_tracked") {
            want[k] = Tensor(dtype: .i64, shape: [], bytes: [UInt8](repeating: 0, count: 8))
        }
        #expect(try Self.dict(pth) == want)
    }

    @Test func ambiguousModulesAreRefusedUntilNamed() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let ms = dir + "/l.ckpt"
        let refused = try TestSupport.run(["convert", Self.fixture("layers.pth"), "--to", "ms", "-o", ms])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("layers.pth"))
        #expect(refused.stderr.contains("--layer embed=embedding") && refused.stderr.contains("--layer act=prelu"),
                "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: ms))

        let r = try TestSupport.run(["convert", Self.fixture("layers.pth"), "--to", "ms", "-o", ms,
                                     "--layer", "embed=embedding", "--layer", "act=prelu", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let rules = try #require(try json(r.stdout)["rules"] as? [[String: Any]])
        #expect(rules.compactMap { $0["count"] as? Int } == [1, 2, 1, 1, 1])  // BN, LN+GN, Embedding, PReLU, Conv1d
        #expect(try Self.dict(ms) == Self.dict(Self.fixture("layers_ms.ckpt")))

        // The inverse: a [out, in, 1, k] weight may be a Conv1d or a 1×k Conv2d.
        let pth = dir + "/l.pth"
        let back = try TestSupport.run(["convert", Self.fixture("layers_ms.ckpt"), "--to", "torch", "-o", pth])
        #expect(back.status == 2)
        #expect(back.stderr.contains("--layer conv=conv1d"), "\(back.stderr)")
        #expect(!FileManager.default.fileExists(atPath: pth))
        let ok = try TestSupport.run(["convert", Self.fixture("layers_ms.ckpt"), "--to", "torch", "-o", pth,
                                      "--layer", "conv=conv1d"])
        #expect(ok.status == 0, "\(ok.stderr)")
        var want = try Self.dict(Self.fixture("layers.pth"))
        want["bn.num_batches_tracked"] = Tensor(dtype: .i64, shape: [], bytes: [UInt8](repeating: 0, count: 8))
        #expect(try Self.dict(pth) == want)
        let bad = try TestSupport.run(["convert", Self.fixture("layers.pth"), "--to", "ms", "-o", ms, "--force",
                                       "--layer", "embed"])
        #expect(bad.status != 0 && bad.stderr.contains("MODULE=KIND"))
    }

    @Test func knownArchitecturesKeepSourceNamesInSafetensorsAndWithKeep() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let src = TestSupport.fixture("pytorch/torchvision_micro_f32.pth")
        let st = dir + "/tv.safetensors"
        let r = try TestSupport.run(["convert", src, "--to", "safetensors", "-o", st, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect((try json(r.stdout)["to"] as? [String: Any])?["convention"] as? String == "torchvision")
        #expect(try Self.read(st).map(\.0) == Self.read(src).map(\.0))
        #expect(try CheckpointIO.read(path: st).0.metadata["convention"] == "torchvision")
        let kept = dir + "/kept.ckpt"
        let k = try TestSupport.run(["convert", src, "--to", "ms", "--convention", "keep", "-o", kept, "--json"])
        #expect(k.status == 0, "\(k.stderr)")
        #expect(try json(k.stdout)["mode"] as? String == "format-only")
        #expect(try Self.dict(kept) == Self.dict(src))
    }

    @Test func prefixesAndTrainingCheckpointsAreSaidOutLoud() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        // A `backbone.`-wrapped torchvision ConvNeXt: --strip-prefix makes it a known model again.
        let out = dir + "/b.ckpt"
        let r = try TestSupport.run(["convert", Self.fixture("backbone_wrapped.pth"), "--to", "ms", "-o", out,
                                     "--strip-prefix", "backbone.", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try json(r.stdout)
        #expect(report["mode"] as? String == "mapped")
        #expect((report["from"] as? [String: Any])?["convention"] as? String == "torchvision")
        let added = dir + "/added.safetensors"
        let a = try TestSupport.run(["convert", out, "--to", "safetensors", "--add-prefix", "model.", "-o", added])
        #expect(a.status == 0, "\(a.stderr)")
        #expect(try Self.read(added).allSatisfy { $0.0.hasPrefix("model.") })
        let none = try TestSupport.run(["convert", Self.fixture("backbone_wrapped.pth"), "--to", "ms", "-o", out,
                                        "--force", "--strip-prefix", "head."])
        #expect(none.status == 2 && none.stderr.contains("no tensor name starts with 'head.'"))

        // timm training checkpoint: EMA used by default, the raw weights named (and never "non-tensor values").
        let t = try TestSupport.run(["convert", Self.fixture("timm_train.pth"), "--to", "torch", "-o", dir + "/t.pth",
                                     "--json"])
        #expect(t.status == 0, "\(t.stderr)")
        let tj = try json(t.stdout)
        let from = try #require(tj["from"] as? [String: Any])
        #expect(from["wrapper_key"] as? String == "state_dict_ema")
        #expect(from["other_weight_keys"] as? [String] == ["state_dict"])
        let notes = (tj["notes"] as? [String]) ?? []
        #expect(!notes.contains { $0.contains("non-tensor") && $0.contains("state_dict,") })
        let text = try TestSupport.run(["convert", Self.fixture("timm_train.pth"), "--to", "torch", "-o", dir + "/t2.pth",
                                        "--key", "state_dict"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("top-level key 'state_dict'; other weights in 'state_dict_ema'"), "\(text.stdout)")
    }

    @Test func diffByRawNamesWithToleranceAndAKeyPerSide() throws {
        let same = try TestSupport.run(["diff", Self.fixture("resnet_tiny.pth"), Self.fixture("resnet_tiny_compressed.npz"),
                                        "--json"])
        #expect(same.status == 0, "\(same.stdout)\(same.stderr)")
        let sj = try json(same.stdout)
        #expect(sj["mode"] as? String == "raw-names")
        #expect((sj["counts"] as? [String: Int])?["equal"] == 74)

        let train = Self.fixture("timm_train.pth")
        let raw = try TestSupport.run(["diff", train, train, "--key-b", "state_dict", "--json"])
        #expect(raw.status == 1)
        let rj = try json(raw.stdout)
        #expect((rj["a"] as? [String: Any])?["wrapper_key"] as? String == "state_dict_ema")
        #expect((rj["b"] as? [String: Any])?["wrapper_key"] as? String == "state_dict")
        #expect((rj["b"] as? [String: Any])?["other_weight_keys"] as? [String] == ["state_dict_ema"])
        let loose = try TestSupport.run(["diff", train, train, "--key-b", "state_dict", "--atol", "1", "--json"])
        #expect(loose.status == 0, "\(loose.stdout)")
        #expect((try json(loose.stdout)["counts"] as? [String: Int])?["close"] == 65)
        let tight = try TestSupport.run(["diff", train, train, "--key-b", "state_dict", "--atol", "1e-9"])
        #expect(tight.status == 1)

        let inspect = try TestSupport.run(["inspect", train, "--json"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let ij = try json(inspect.stdout)
        #expect(ij["wrapper_key"] as? String == "state_dict_ema")
        #expect(ij["other_weight_keys"] as? [String] == ["state_dict"])
        #expect((ij["metadata"] as? [String: String])?.isEmpty == true)
    }

    /// timm `num_classes=0`: detected as a headless ConvNeXt, converted across conventions and back bit-exact;
    /// `forward` refuses it clearly.
    @Test func headlessTimmBackboneConvertsAndForwardRefuses() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let src = Self.fixture("timm_headless.pth")
        let i = try TestSupport.run(["inspect", src])
        #expect(i.status == 0 && i.stdout.contains("no head (backbone only)") && i.stdout.contains("timm naming"),
                "\(i.stdout)")
        let ms = dir + "/h.ckpt", back = dir + "/h.pth"
        let r = try TestSupport.run(["convert", src, "--to", "ms", "-o", ms, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try json(r.stdout)["mode"] as? String == "mapped")
        #expect(try TestSupport.run(["convert", ms, "--to", "torch", "--convention", "timm", "-o", back]).status == 0)
        #expect(try Self.read(back).map(\.0) == Self.read(src).map(\.0))
        #expect(try Self.dict(back) == Self.dict(src))
        let f = try TestSupport.run(["forward", "--checkpoint", src, "--input", Self.fixture("resnet_tiny_input.npy")])
        #expect(f.status == 2 && f.stderr.contains("no classifier"), "\(f.stderr)")
    }

    /// `forward` on a training checkpoint says which key it ran and which other one holds weights.
    @Test func forwardSaysWhichWeightsItRan() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let x = dir + "/x.npy"
        // One 3×32×32 image (the micro model's patch/stride needs a multiple of 32): 0.01·i, as a .npy.
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 32, 32), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        bytes += [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)] + Array(header.utf8)
        for i in 0..<(3 * 32 * 32) { withUnsafeBytes(of: (Float(i % 97) * 0.01).bitPattern.littleEndian) { bytes += $0 } }
        try TestSupport.writeFile(x, bytes)
        let r = try TestSupport.run(["forward", "--checkpoint", Self.fixture("timm_train.pth"), "--input", x, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try json(r.stdout)
        #expect(j["wrapper_key"] as? String == "state_dict_ema")
        #expect(j["other_weight_keys"] as? [String] == ["state_dict"])
        let t = try TestSupport.run(["forward", "--checkpoint", Self.fixture("timm_train.pth"), "--input", x,
                                     "--key", "state_dict"])
        #expect(t.stdout.contains("weights: top-level key 'state_dict'; other weights in 'state_dict_ema'"), "\(t.stdout)")
    }
}
