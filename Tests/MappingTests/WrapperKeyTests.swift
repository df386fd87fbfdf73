import CNZooCore
import CNZooFormats
import CNZooTestSupport
import Foundation
import Testing

/// `convert --wrap-key` (PyTorch outputs nest the state dict under a key; flat formats refuse) and `verify
/// --checkpoint` saying which top-level key it verified, on files written by real timm
/// (Fixtures/generate_generic.py).
@Suite struct WrapperKeyTests {
    static func fixture(_ name: String) -> String { TestSupport.fixture("generic/" + name) }

    func json(_ s: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any])
    }

    static func tensors(_ path: String, key: String? = nil) throws -> (names: [String], bytes: [[UInt8]], ckpt: Checkpoint) {
        let c = try CheckpointIO.read(path: path, options: ReadOptions(key: key)).0
        return (c.tensors.map(\.name), try c.tensors.map { try $0.data.readAll() }, c)
    }

    @Test func wrapKeyNestsThePyTorchStateDict() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let src = Self.fixture("timm_headless.pth"), out = dir + "/w.pth"
        let r = try TestSupport.run(["convert", src, "--to", "torch", "--convention", "timm", "--wrap-key", "model",
                                     "-o", out, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect((try json(r.stdout)["to"] as? [String: Any])?["wrap_key"] as? String == "model")
        // Read back under the key: the same names and bytes as the source; the reader reports the key it used.
        let got = try Self.tensors(out, key: "model"), want = try Self.tensors(src)
        #expect(got.names == want.names)
        #expect(got.bytes == want.bytes)
        #expect(WrapperKeys.used(got.ckpt) == "model")
        // Without --key the reader finds `model` itself (timm's order), and inspect says so.
        let i = try TestSupport.run(["inspect", out, "--json"])
        #expect(i.status == 0, "\(i.stderr)")
        #expect(try json(i.stdout)["wrapper_key"] as? String == "model")
        // A plain conversion reports no key.
        let plain = try TestSupport.run(["convert", src, "--to", "torch", "--convention", "timm", "-o", dir + "/p.pth",
                                         "--json"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect((try json(plain.stdout)["to"] as? [String: Any])?["wrap_key"] is NSNull)
    }

    @Test func flatFormatsRefuseWrapKeyAndWriteNothing() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        for (target, ext) in [("safetensors", "safetensors"), ("ms", "ckpt"), ("onnx", "onnx")] {
            let out = "\(dir)/w.\(ext)"
            let r = try TestSupport.run(["convert", Self.fixture("timm_headless.pth"), "--to", target, "--wrap-key",
                                         "model", "-o", out])
            #expect(r.status == 2, "\(target): \(r.stderr)")
            #expect(r.stderr.contains("--wrap-key 'model'") && r.stderr.contains("only --to torch"), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
        // A transformers model folder is a flat state dict that from_pretrained reads: refused too, nothing written.
        let folder = dir + "/hf"
        let hf = try TestSupport.run(["convert", TestSupport.fixture("pytorch/torchvision_micro_f32.pth"), "--to", "torch",
                                      "--convention", "transformers", "--wrap-key", "model", "-o", folder])
        #expect(hf.status == 2 && hf.stderr.contains("model folder"), "\(hf.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder))
        let empty = try TestSupport.run(["convert", Self.fixture("timm_headless.pth"), "--to", "torch", "--wrap-key", "",
                                         "-o", dir + "/e.pth"])
        #expect(empty.status == 2 && empty.stderr.contains("non-empty"), "\(empty.stderr)")
    }

    /// verify --checkpoint on a timm training checkpoint: the EMA weights by default, the raw ones named; --key
    /// switches, and the report says so in text and JSON.
    @Test func verifySaysWhichWeightsItChecked() throws {
        let train = Self.fixture("timm_train.pth")
        let r = try TestSupport.run(["verify", "--checkpoint", train, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try json(r.stdout)
        #expect(j["wrapper_key"] as? String == "state_dict_ema")
        #expect(j["other_weight_keys"] as? [String] == ["state_dict"])
        let t = try TestSupport.run(["verify", "--checkpoint", train, "--key", "state_dict"])
        #expect(t.status == 0, "\(t.stderr)")
        #expect(t.stdout.contains("weights: top-level key 'state_dict'; other weights in 'state_dict_ema'"), "\(t.stdout)")
        let plain = try TestSupport.run(["verify", "--checkpoint", TestSupport.fixture("pytorch/torchvision_micro_f32.pth"),
                                         "--json"])
        #expect(plain.status == 0, "\(plain.stderr)")
        let pj = try json(plain.stdout)
        #expect(pj["wrapper_key"] is NSNull)
        #expect(pj["other_weight_keys"] as? [String] == [])
    }
}
