import CNZooCore
import CNZooFormats
import CNZooMapping
import CNZooTestSupport
import Foundation
import Testing

/// End-to-end `cnzoo convert` / `diff` / `inspect` on spec-generated safetensors files.
@Suite struct ConvertCLITests {
    /// Writes `spec`'s micro checkpoint in `convention` naming as safetensors.
    func write(_ spec: any ArchitectureSpec, _ convention: any NamingConvention, to path: String,
               rename: (String) -> String = { $0 }) throws {
        var c = try Micro.spelled(spec, convention)
        for i in c.tensors.indices { c.tensors[i].name = rename(c.tensors[i].name) }
        try CheckpointIO.write(c, format: .safetensors, to: path)
    }

    func json(_ s: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any])
    }

    @Test func convertJSONReportAndRoundTrip() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let tv = dir + "/tv.safetensors"
        try write(Micro.convnext, TorchVisionConvention(), to: tv, rename: { "module." + $0 })
        let r = try TestSupport.run(["convert", tv, "--to", "safetensors", "--convention", "canonical", "--json",
                                     "--source-hash"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try json(r.stdout)
        let out = dir + "/tv.canonical.safetensors"
        #expect(report["input"] as? String == tv)
        #expect(report["output"] as? String == out)
        let from = try #require(report["from"] as? [String: Any])
        #expect(from["format"] as? String == "safetensors")
        #expect(from["convention"] as? String == "torchvision")
        #expect(from["architecture"] as? String == "convnext")
        #expect(from["prefix"] as? String == "module.")
        #expect(from["confidence"] as? Double == 1)
        let to = try #require(report["to"] as? [String: Any])
        #expect(to["convention"] as? String == "canonical")
        #expect(to["format"] as? String == "safetensors")
        let tensors = try #require(report["tensors"] as? [String: Int])
        let n = Micro.convnext.parameters().count
        #expect(tensors["mapped"] == n && tensors["written"] == n && tensors["dropped"] == 0)
        #expect(report["bytes"] as? Int == Micro.canonical(Micro.convnext).byteCount)
        #expect(report["dtype"] is NSNull)  // null unless --dtype asked for a change

        // The output holds canonical names in canonical order, identical bytes, and says where it came from.
        let (written, _) = try CheckpointIO.read(path: out)
        #expect(written.tensors.map(\.name) == Micro.convnext.parameters().map(\.name))
        #expect(try Micro.identical(written, Micro.canonical(Micro.convnext)))
        #expect(written.metadata["architecture"] == "convnext")
        #expect(written.metadata["source_convention"] == "torchvision")
        #expect(written.metadata["source_sha256"] == (try SHA256.hash(file: tv)))

        // diff across conventions: the same values, layer scale stored [C,1,1] vs [C] (equivalent, exit 0); then
        // back to torchvision names: same bytes as the input.
        let d = try TestSupport.run(["diff", tv, out])
        #expect(d.status == 0, "\(d.stdout)\(d.stderr)")
        #expect(d.stdout.contains("equivalent: the same values"), "\(d.stdout)")
        let back = dir + "/back.safetensors"
        let r2 = try TestSupport.run(["convert", out, "--to", "safetensors", "--convention", "torchvision", "-o", back, "--quiet"])
        #expect(r2.status == 0, "\(r2.stderr)")
        #expect(r2.stdout.isEmpty)
        let (b, _) = try CheckpointIO.read(path: back)
        #expect(try Micro.identical(b, Micro.spelled(Micro.convnext, TorchVisionConvention())))

        // The output exists now: refused without --force (exit 3), replaced with it.
        let again = try TestSupport.run(["convert", out, "--to", "safetensors", "--convention", "torchvision", "-o", back])
        #expect(again.status == 3)
        let forced = try TestSupport.run(["convert", out, "--to", "safetensors", "--convention", "torchvision", "-o", back, "--force"])
        #expect(forced.status == 0)
        #expect(try TestSupport.run(["convert", tv, "--to", "safetensors", "-o", tv, "--force"]).status == 2)
    }

    /// ConvMixer: timm → MindSpore .ckpt defaults to the MindCV branch names (BN moving stats, counters carried as
    /// extra entries), and back to torch restores timm names with the counters.
    @Test func convmixerThroughMindSpore() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let src = dir + "/mixer.safetensors"
        try write(Micro.convmixer, TimmConvention(), to: src)
        let r = try TestSupport.run(["convert", src, "--to", "ms", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try json(r.stdout)
        #expect((report["from"] as? [String: Any])?["convention"] as? String == "timm")
        #expect((report["to"] as? [String: Any])?["convention"] as? String == "mindcv")
        // The BatchNorm counters are carried, as `<BN cell>.num_batches_tracked` entries, not dropped.
        #expect((report["tensors"] as? [String: Int])?["dropped"] == 0)
        var (ms, _) = try CheckpointIO.read(path: dir + "/mixer.ckpt")
        #expect(ms.tensors.filter { $0.name.hasSuffix(".num_batches_tracked") }.count == 1 + 2 * Micro.convmixer.depth)
        ms.tensors.removeAll { $0.name.hasSuffix(".num_batches_tracked") }
        #expect(try Micro.identical(ms, Micro.spelled(Micro.convmixer, MindCVConvention())))
        let back = dir + "/back.pth"
        #expect(try TestSupport.run(["convert", dir + "/mixer.ckpt", "--to", "torch", "-o", back]).status == 0)
        let (pt, _) = try CheckpointIO.read(path: back)
        #expect(try Micro.identical(pt, Micro.spelled(Micro.convmixer, TimmConvention())))
    }

    @Test func dtypeChangeIsReported() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let src = dir + "/mcv.safetensors"
        try write(Micro.convnext, MindCVConvention(), to: src)
        let out = dir + "/half.safetensors"
        let r = try TestSupport.run(["convert", src, "--to", "safetensors", "--dtype", "bf16", "-o", out, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try json(r.stdout)
        let dt = try #require(report["dtype"] as? [String: Any])
        #expect(dt["to"] as? String == "BF16")
        #expect(dt["converted"] as? Int == Micro.convnext.parameters().count)
        #expect((report["notes"] as? [String])?.contains { $0.contains("round-to-nearest-even") } == true)
        let (h, _) = try CheckpointIO.read(path: out)
        #expect(h.tensors.allSatisfy { $0.dtype == .bf16 })
        // diff sees a dtype mismatch with a small max |a−b| (bf16 has 8 significant bits).
        let d = try TestSupport.run(["diff", src, out, "--json"])
        #expect(d.status == 1)
        let dj = try json(d.stdout)
        let entries = try #require(dj["tensors"] as? [[String: Any]])
        #expect(entries.allSatisfy { $0["status"] as? String == "dtype-mismatch" })
        let worst = entries.compactMap { $0["max_abs_diff"] as? Double }.max() ?? .infinity
        #expect(worst > 0 && worst < 0.5)
    }

    @Test func mappingFailureIsInputErrorWithReport() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let src = dir + "/timm.safetensors"
        try write(Micro.convnext, TimmConvention(), to: src, rename: { "module." + $0 })
        let r = try TestSupport.run(["convert", src, "--to", "safetensors", "--from", "mindvision"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("looks like timm naming with a `module.` prefix"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/timm.canonical.safetensors"))
        // A tensor missing from an otherwise clean file: the report names it.
        var c = try Micro.spelled(Micro.convnext, TimmConvention())
        c.tensors.removeAll { $0.name == "stages.2.blocks.1.mlp.fc1.weight" }
        let broken = dir + "/broken.safetensors"
        try CheckpointIO.write(c, format: .safetensors, to: broken)
        let r2 = try TestSupport.run(["convert", broken, "--to", "safetensors"])
        #expect(r2.status == 2)
        #expect(r2.stderr.contains("missing (1): stages.2.blocks.1.mlp.fc1.weight"), "\(r2.stderr)")
        // --allow-unmapped writes it anyway, saying so.
        let r3 = try TestSupport.run(["convert", broken, "--to", "safetensors", "--allow-unmapped", "--json"])
        #expect(r3.status == 0, "\(r3.stderr)")
        #expect((try json(r3.stdout)["notes"] as? [String])?.contains { $0.contains("missing") } == true)
    }

    @Test func diffReportsValueAndKeyDifferences() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let a = dir + "/a.safetensors", b = dir + "/b.safetensors"
        try write(Micro.convnext, OfficialConvention(), to: a)
        var c = try Micro.spelled(Micro.convnext, MindSporeVisionConvention())
        let i = try #require(c.tensors.firstIndex { $0.name == "head.dense.bias" })
        var bytes = try c.tensors[i].data.readAll()
        bytes[3] ^= 0x01  // flip the lowest exponent bit of the first element's top byte
        c.tensors[i].data = .bytes(bytes)
        c.tensors.append(TensorEntry(name: "extra.weight", dtype: .f32, shape: [1], data: .bytes([0, 0, 0, 0])))
        try CheckpointIO.write(c, format: .safetensors, to: b)
        let r = try TestSupport.run(["diff", a, b, "--json"])
        #expect(r.status == 1, "\(r.stderr)")
        let report = try json(r.stdout)
        #expect((report["a"] as? [String: Any])?["convention"] as? String == "official")
        #expect((report["b"] as? [String: Any])?["convention"] as? String == "mindvision")
        let entries = try #require(report["tensors"] as? [[String: Any]])
        let different = entries.filter { $0["status"] as? String == "different" }
        #expect(different.map { $0["name"] as? String } == ["head.fc.bias"])
        #expect((different.first?["max_abs_diff"] as? Double ?? 0) > 0)
        #expect(entries.filter { $0["status"] as? String == "only-b" }.map { $0["name"] as? String } == ["extra.weight"])
    }

    @Test func inspectReportsConventionAndArchitecture() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let path = dir + "/mv.safetensors"
        let spec = try #require(ConvNeXtSpec.variant("tiny", numClasses: 21841))
        var c = Checkpoint()
        for s in try #require(MindSporeVisionConvention().slots(for: spec)) where s.role != .linearWeight || !s.name.hasPrefix("backbone") {
            // Shapes matter, values do not: zero-filled tensors keep the file small.
            let n = s.shape.reduce(1, *) * 2
            c.tensors.append(TensorEntry(name: s.name, dtype: .f16, shape: s.shape, data: .bytes([UInt8](repeating: 0, count: n))))
        }
        try CheckpointIO.write(c, format: .safetensors, to: path)
        let r = try TestSupport.run(["inspect", path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try json(r.stdout)
        #expect(report["convention"] as? String == "mindvision")
        let arch = try #require(report["architecture"] as? [String: Any])
        #expect(arch["family"] as? String == "convnext")
        #expect(arch["variant"] as? String == "convnext_tiny")
        #expect(arch["num_classes"] as? Int == 21841)
        #expect((arch["confidence"] as? Double ?? 1) < 1)  // the pwconv weights were left out
        #expect(report["tensors"] is [Any])
    }
}
