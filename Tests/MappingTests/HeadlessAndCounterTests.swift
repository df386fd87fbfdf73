import CNZooCore
import CNZooFormats
import CNZooMapping
import CNZooTestSupport
import Foundation
import Testing

/// Headless and features-only backbones (torchvision `model.features`, timm `features_only=True` and
/// `num_classes=0`, ConvMixer `num_classes=0` and `backbone.`-wrapped) detected and converted between conventions,
/// `forward` refusing them, and ConvMixer's BatchNorm `num_batches_tracked` carried through MindCV `.ckpt` files — all
/// on files written by real torchvision, timm and MindSpore (Fixtures/generate_generic.py, generate_convmixer.py).
@Suite struct HeadlessAndCounterTests {
    typealias Tensor = GenericConversionTests.Tensor

    static func generic(_ name: String) -> String { TestSupport.fixture("generic/" + name) }
    static func convmixer(_ name: String) -> String { TestSupport.fixture("convmixer/" + name) }

    func json(_ s: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any])
    }

    static func read(_ path: String) throws -> [(String, Tensor)] { try GenericConversionTests.read(path) }

    static func dict(_ path: String) throws -> [String: Tensor] { try GenericConversionTests.dict(path) }

    static func int64(_ v: Int64) -> Tensor {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: v.littleEndian) { bytes += $0 }
        return Tensor(dtype: .i64, shape: [], bytes: bytes)
    }

    // MARK: features-only ConvNeXt

    @Test(arguments: [("torchvision_features.pth", "torchvision-features"), ("timm_features.pth", "timm-features")])
    func featuresOnlyFilesAreDetected(file: String, convention: String) throws {
        let r = try TestSupport.run(["inspect", Self.generic(file), "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try json(r.stdout)
        #expect(j["convention"] as? String == convention)
        let arch = try #require(j["architecture"] as? [String: Any])
        #expect(arch["family"] as? String == "convnext", "\(arch)")
        #expect((arch["summary"] as? String)?.contains("no head (features only") == true, "\(arch)")
        let text = try TestSupport.run(["inspect", Self.generic(file)])
        #expect(text.stdout.contains("\(convention) naming, 100% of tensors match"), "\(text.stdout)")
    }

    /// torchvision `model.features` → timm `features_only` names (what timm's FeatureListNet loads) → MindSpore →
    /// back to torchvision `model.features`: names, order and bytes of the source again.
    @Test func featuresOnlyConvertBetweenConventionsBitExact() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let tv = Self.generic("torchvision_features.pth"), timm = Self.generic("timm_features.pth")
        let asTimm = dir + "/timm.pth"
        let r = try TestSupport.run(["convert", tv, "--to", "torch", "--convention", "timm-features", "-o", asTimm, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try json(r.stdout)
        #expect(j["mode"] as? String == "mapped")
        #expect((j["from"] as? [String: Any])?["convention"] as? String == "torchvision-features")
        // Exactly the names and shapes real timm wrote for the same configuration (different seed: not the bytes).
        let written = try Self.read(asTimm), real = try Self.read(timm)
        #expect(written.map(\.0) == real.map(\.0))
        #expect(written.map(\.1.shape) == real.map(\.1.shape))
        // Each tensor is the source's: a diff across conventions finds them equal, the 5 layer scales stored as timm's
        // [C] against torchvision's [C,1,1] (same values, another layout).
        let d = try TestSupport.run(["diff", asTimm, tv, "--json"])
        #expect(d.status == 0, "\(d.stdout)")
        let dj = try json(d.stdout)
        #expect(dj["counts"] as? [String: Int] == ["equal": 56, "layout": 5])
        #expect(dj["equivalent"] as? Bool == true)

        let ms = dir + "/f.ckpt", back = dir + "/back.pth"
        #expect(try TestSupport.run(["convert", asTimm, "--to", "ms", "-o", ms]).status == 0)
        let b = try TestSupport.run(["convert", ms, "--to", "torch", "--convention", "torchvision-features", "-o", back])
        #expect(b.status == 0, "\(b.stderr)")
        #expect(try Self.read(back).map(\.0) == Self.read(tv).map(\.0))
        #expect(try Self.dict(back) == Self.dict(tv))
    }

    @Test func aHeadIsNeverWrittenHalfWayIntoAFeaturesConvention() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let out = dir + "/x.pth"
        let r = try TestSupport.run(["convert", Self.generic("timm_headless.pth"), "--to", "torch", "--convention",
                                     "torchvision-features", "-o", out])
        #expect(r.status == 2)
        #expect(r.stderr.contains("timm_headless.pth") && r.stderr.contains("cannot name this checkpoint")
                && r.stderr.contains("no head (backbone only)"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// The ConvNeXt ONNX graph ends in its classifier: a headless ConvNeXt is refused by name, nothing written.
    @Test(arguments: ["timm_headless.pth", "torchvision_features.pth"])
    func onnxRefusesHeadlessConvNeXt(file: String) throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let out = dir + "/h.onnx"
        let r = try TestSupport.run(["convert", Self.generic(file), "--to", "onnx", "-o", out])
        #expect(r.status == 2)
        #expect(r.stderr.contains("no ONNX graph for a headless ConvNeXt"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// forward computes logits only: every headless file is refused with one explicit message naming the file.
    @Test(arguments: ["generic/torchvision_features.pth", "generic/timm_features.pth", "generic/timm_headless.pth",
                      "convmixer/headless_timm.pth", "convmixer/headless_mindcv.ckpt"])
    func forwardRefusesHeadlessFilesExplicitly(file: String) throws {
        let r = try TestSupport.run(["forward", "--checkpoint", TestSupport.fixture(file), "--input",
                                     Self.convmixer("relu_input.npy")])
        #expect(r.status == 2)
        #expect(r.stderr.contains(file.split(separator: "/").last.map(String.init) ?? file), "\(r.stderr)")
        #expect(r.stderr.contains("no classifier") && r.stderr.contains("does not return pooled features"), "\(r.stderr)")
    }

    // MARK: ConvMixer headless and wrapped

    /// timm `num_classes=0` under a `backbone.` prefix: --strip-prefix makes it the headless ConvMixer again; to
    /// MindSpore it gives the names real MindSpore saved for the same cell, and back the timm file bit for bit.
    @Test func wrappedHeadlessConvMixerRoundTrips() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let wrapped = Self.convmixer("headless_backbone_timm.pth")
        let ms = dir + "/h.ckpt", back = dir + "/h.pth"
        let r = try TestSupport.run(["convert", wrapped, "--strip-prefix", "backbone.", "--to", "ms", "-o", ms, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try json(r.stdout)
        let from = try #require(j["from"] as? [String: Any])
        #expect(from["architecture"] as? String == "convmixer")
        #expect((from["spec"] as? String)?.contains("no head (backbone only)") == true, "\(from)")
        var real = try Self.dict(Self.convmixer("headless_mindcv.ckpt"))
        let got = try Self.dict(ms)
        for k in got.keys where k.hasSuffix(".num_batches_tracked") { real[k] = Self.int64(5004) }
        #expect(got == real)
        #expect(try TestSupport.run(["convert", ms, "--to", "torch", "--add-prefix", "backbone.", "-o", back]).status == 0)
        #expect(try Self.read(back).map(\.0) == Self.read(wrapped).map(\.0))
        #expect(try Self.dict(back) == Self.dict(wrapped))
    }

    /// Without --strip-prefix a wrapped backbone is converted format-only, and inspect and convert name the prefix
    /// that makes it a known model again.
    @Test func wrappedBackbonesAreNamedWithTheFlagThatUnwrapsThem() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let i = try TestSupport.run(["inspect", Self.generic("backbone_wrapped.pth")])
        #expect(i.status == 0, "\(i.stderr)")
        #expect(i.stdout.contains("architecture: unknown"), "\(i.stdout)")
        #expect(i.stdout.contains("the 65 tensors under 'backbone.' are a convnext") && i.stdout.contains("torchvision naming")
                && i.stdout.contains("pass --strip-prefix backbone. to convert them as such"), "\(i.stdout)")
        let r = try TestSupport.run(["convert", Self.convmixer("headless_backbone_timm.pth"), "--to", "ms", "-o",
                                     dir + "/h.ckpt", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try json(r.stdout)
        #expect(j["mode"] as? String == "format-only")
        #expect((j["notes"] as? [String])?.contains {
            $0.contains("under 'backbone.' are a convmixer") && $0.contains("no head") && $0.contains("--strip-prefix backbone.")
        } == true, "\(j["notes"] ?? "")")
    }

    // MARK: num_batches_tracked through MindCV (issue 12)

    /// timm .pth → MindCV .ckpt → timm .pth gives back every tensor bit for bit, the BatchNorm counters (5004 in the
    /// fixture) included; the .ckpt holds exactly what MindSpore's own cell saved plus one int64 counter per
    /// BatchNorm under the cell's path.
    @Test(arguments: ["gelu", "relu", "k9p7", "headless"])
    func numBatchesTrackedSurvivesTheMindCVRoundTrip(name: String) throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let src = Self.convmixer("\(name)_timm.pth"), ms = dir + "/m.ckpt", back = dir + "/b.pth"
        let r = try TestSupport.run(["convert", src, "--to", "ms", "-o", ms, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect((try json(r.stdout)["notes"] as? [String])?.contains { $0.contains("num_batches_tracked buffers") } == true)
        let got = try Self.dict(ms)
        let counters = got.filter { $0.key.hasSuffix(".num_batches_tracked") }
        let want = try Self.dict(Self.convmixer("\(name)_mindcv.ckpt"))
        #expect(counters.count == want.keys.filter { $0.hasSuffix(".moving_variance") }.count)
        #expect(counters.values.allSatisfy { $0 == Self.int64(5004) })
        #expect(counters.keys.allSatisfy { got[String($0.dropLast("num_batches_tracked".count)) + "gamma"] != nil })
        #expect(got.filter { !$0.key.hasSuffix(".num_batches_tracked") } == want)

        let b = try TestSupport.run(["convert", ms, "--to", "torch", "-o", back])
        #expect(b.status == 0, "\(b.stderr)")
        #expect(!b.stdout.contains("zero-valued counters"), "\(b.stdout)")
        #expect(try Self.read(back).map(\.0) == Self.read(src).map(\.0))
        #expect(try Self.dict(back) == Self.dict(src))
        // The two files compare equal through canonical names, counters included.
        let d = try TestSupport.run(["diff", src, ms, "--json"])
        #expect(d.status == 0, "\(d.stdout)")
    }

    /// Where there is no counter to carry (a .ckpt MindSpore wrote itself) timm gets zeros, as before; canonical
    /// names carry the counters too (they are timm's names).
    @Test func countersAreSynthesisedOrCarriedOutLoud() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let pth = dir + "/z.pth"
        let r = try TestSupport.run(["convert", Self.convmixer("gelu_mindcv.ckpt"), "--to", "torch", "-o", pth])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("added 7 buffers timm modules carry (zero-valued counters)"), "\(r.stdout)")
        #expect(try Self.dict(pth).filter { $0.key.hasSuffix("num_batches_tracked") }.values.allSatisfy { $0 == Self.int64(0) })
        let st = dir + "/c.safetensors"
        let c = try TestSupport.run(["convert", Self.convmixer("gelu_timm.pth"), "--to", "safetensors", "--convention",
                                     "canonical", "-o", st])
        #expect(c.status == 0, "\(c.stderr)")
        #expect(try Self.dict(st) == Self.dict(Self.convmixer("gelu_timm.pth")))
    }

    /// A naming with no place for the counters drops them with a note (library level: every registered ConvMixer
    /// naming has one).
    @Test func countersWithoutAPlaceAreDroppedWithANote() throws {
        struct NoCounters: NamingConvention {
            var name: String { "no-counters-test" }
            var framework: Framework { .neutral }
            var summary: String { "timm names, no BatchNorm counters" }
            func numerics(family: Family) -> Numerics? { nil }
            func slots(for spec: any ArchitectureSpec) -> [Slot]? { TimmConvention().slots(for: spec) }
        }
        let timm = try CheckpointIO.read(path: Self.convmixer("gelu_timm.pth")).0
        let spec = try #require(Detector.detect(names: timm.tensors.map(\.name), shapes: timm.tensors.map(\.shape))?.spec)
        let (canonical, _) = try Mapper.decode(timm, from: TimmConvention(), spec: spec,
                                               options: MappingOptions(keepBuffers: true))
        #expect(canonical.tensors.filter { $0.name.hasSuffix("num_batches_tracked") }.count == 7)
        let out = try Mapper.encode(canonical, to: NoCounters(), spec: spec)
        #expect(out.tensors.count == spec.parameters().count)
        #expect(out.notes.contains("dropped 7 bookkeeping buffers (num_batches_tracked): no-counters-test naming has no "
                                   + "place for them"))
        // Without keepBuffers the canonical checkpoint holds parameters only (what the forward models take).
        let (plain, _) = try Mapper.decode(timm, from: TimmConvention(), spec: spec)
        #expect(plain.tensors.map(\.name) == spec.parameters().map(\.name))
    }

    /// verify --checkpoint on a timm ConvMixer: the counters go through timm .pth → MindCV .ckpt → timm .pth and the
    /// canonical safetensors hop, bit-exact at every hop.
    @Test func verifyRoundTripsCarryTheCounters() throws {
        let r = try TestSupport.run(["verify", "--checkpoint", Self.convmixer("gelu_timm.pth"), "--json"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let trips = try #require(try json(r.stdout)["round_trips"] as? [[String: Any]])
        #expect(trips.count == 4)
        #expect(trips.allSatisfy { $0["bit_exact"] as? Bool == true && $0["tensors"] as? Int == 51 }, "\(trips)")
    }
}
