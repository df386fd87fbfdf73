import CNZooCore
import CNZooFormats
@testable import CNZooMindSpore
import CNZooTestSupport
import Foundation
import Testing

@Suite struct MindSporeReaderTests {
    /// Every fixture MindSpore wrote reads exactly: names in order, dtypes, shapes, bytes, extras.
    @Test(arguments: MindSporeFixtures.plainCkpts + ["micro_mindcv_f32.safetensors"])
    func fixtureReadsExactly(_ name: String) throws {
        let expected = try #require(try MindSporeExpected.load().fixtures[name])
        let (ckpt, format) = try CheckpointIO.read(path: MindSporeFixtures.path(name))
        #expect(format == (name.hasSuffix(".ckpt") ? .mindspore : .safetensors))
        let want = try #require(expected.tensors)
        #expect(ckpt.tensors.map(\.name) == want.map(\.name))
        for (t, w) in zip(ckpt.tensors, want) {
            #expect(t.dtype.rawValue == w.dtype, "\(t.name)")
            #expect(t.shape == w.shape, "\(t.name)")
            #expect(try MindSporeFixtures.sha256(t) == w.sha256, "\(t.name)")
        }
        var extras: [String: String] = [:]
        for e in ckpt.extras {
            guard case let .string(s) = e.value else { Issue.record("unexpected extra \(e)"); continue }
            extras[e.name] = s
        }
        #expect(extras == (expected.extras ?? [:]))
        let crcNote = ckpt.notes.contains { $0.contains("crc_num trailer present and verified") }
        #expect(crcNote == (expected.crc ?? false))
    }

    @Test func slicedParametersAreJoinedFromSeveralRecords() throws {
        let ckpt = try MindSporeFormat.read(path: MindSporeFixtures.path("sliced.ckpt"))
        let big = try #require(ckpt.tensor(named: "feature.7.0.pwconv1.weight"))
        guard case let .chunks(_, ranges) = big.data.source else {
            Issue.record("a 64 KiB tensor saved with 1 KiB slices should be served as chunks")
            return
        }
        #expect(ranges.count == 64)
        #expect(ranges.allSatisfy { $0.count == 1024 })
    }

    @Test func mindSporeSafeTensorsAreRecognised() throws {
        let (ckpt, _) = try CheckpointIO.read(path: MindSporeFixtures.path("micro_mindcv_f32.safetensors"))
        #expect(ckpt.metadata["format"] == "ms")
        #expect(ckpt.notes.contains { $0.contains("written by MindSpore") })
    }

    @Test func encryptedFileIsRefusedAsEncrypted() throws {
        #expect(try MindSporeExpected.load().fixtures["micro_encrypted.ckpt"]?.encrypted == true)
        do {
            _ = try CheckpointIO.read(path: MindSporeFixtures.path("micro_encrypted.ckpt"))
            Issue.record("an encrypted checkpoint must not read")
        } catch let e as CNZooError {
            #expect(e.code == .encrypted)
            #expect(e.message.contains("encrypted"))
            #expect(e.message.contains("AES-GCM"))
        }
    }

    @Test func corruptedCRCIsAnIntegrityErrorNamingBothValues() throws {
        var bytes = try TestSupport.readFile(MindSporeFixtures.path("micro_crc.ckpt"))
        let stored = bytes.suffix(10).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }  // what MindSpore wrote
        bytes[bytes.count / 2] ^= 0x01
        let dir = try TestSupport.makeScratchDirectory("ms-crc")
        defer { TestSupport.removeScratch(dir) }
        let path = dir + "/bad.ckpt"
        try TestSupport.writeFile(path, bytes)
        do {
            _ = try MindSporeFormat.read(path: path)
            Issue.record("a damaged CRC file must not read")
        } catch let e as CNZooError {
            #expect(e.code == .integrity)
            #expect(e.message.contains("expects \(stored) "))
            #expect(e.message.contains("hash to"))
            #expect(e.file == path)
        }
        // Without verification the stream itself is still well-formed.
        #expect(try MindSporeFormat.read(path: path, verifyCRC: false).tensors.count == 65)
    }

    @Test func crcMatchesZlib() {
        // zlib.crc32(b"123456789") == 0xCBF43926, and chaining equals one pass.
        let data = Array("123456789".utf8)
        #expect(data.withUnsafeBytes { CRC32.checksum($0) } == 0xCBF4_3926)
        var c = CRC32()
        c.update(Array(data[0..<4]))
        c.update(Array(data[4...]))
        #expect(c.value == 0xCBF4_3926)
        let long = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var a = CRC32(), b = CRC32()
        a.update(long)
        for i in stride(from: 0, to: 1000, by: 13) { b.update(Array(long[i..<min(i + 13, 1000)])) }
        #expect(a.value == b.value)
    }

    /// Wire-level cases MindSpore does not produce but protobuf allows: packed dims, unknown fields, old-style
    /// `[0]` scalars, map tensors, and the errors for inconsistent slices and repeated tags.
    @Test func wireVariants() throws {
        func record(_ tag: String, _ tensorBody: [UInt8], extra: [UInt8] = []) -> [UInt8] {
            var value: [UInt8] = [0x0A]
            MindSporeFormat.appendVarint(UInt64(tag.utf8.count), to: &value)
            value += Array(tag.utf8) + extra
            value.append(0x12)
            MindSporeFormat.appendVarint(UInt64(tensorBody.count), to: &value)
            value += tensorBody
            var r: [UInt8] = [0x0A]
            MindSporeFormat.appendVarint(UInt64(value.count), to: &r)
            return r + value
        }
        func tensor(dims: [UInt8], type: String, content: [UInt8]) -> [UInt8] {
            var t = dims + [0x12, UInt8(type.utf8.count)] + Array(type.utf8)
            t += [0x1A, UInt8(content.count)] + content
            return t
        }
        func parse(_ bytes: [UInt8]) throws -> CheckpointStream {
            try bytes.withUnsafeBytes { try CheckpointStream.parse($0, path: "mem") }
        }
        // packed dims [2, 1] + an unknown varint field 9 + an unknown fixed32 field 10 in the tensor
        let packed = record("p", [0x0A, 0x02, 0x02, 0x01, 0x48, 0x05, 0x55, 1, 2, 3, 4]
            + tensor(dims: [], type: "Int16", content: [1, 0, 2, 0]))
        // old-style scalar dims [0], plus an unknown length field 7 in the Value
        let scalar = record("s", tensor(dims: [0x08, 0x00], type: "Float32", content: [0, 0, 0x80, 0x3F]),
                            extra: [0x3A, 0x01, 0x00])
        let s = try parse(packed + scalar)
        #expect(s.parameters.map(\.name) == ["p", "s"])
        #expect(s.parameters[0].shape == [2, 1])
        #expect(s.parameters[1].shape == [])

        // map tensor → opaque extra with a note
        var mapValue: [UInt8] = [0x0A, 0x01, 0x6D, 0x1A, 0x04, 0x0A, 0x00, 0x0A, 0x00]
        mapValue = [0x0A, UInt8(mapValue.count)] + mapValue
        let m = try parse(mapValue)
        #expect(m.extras == [CheckpointExtra(name: "m", value: .opaque("MindSpore map tensor, 2 parts"))])

        // slices that disagree on dims
        let a1 = record("a", tensor(dims: [0x08, 0x02], type: "Int8", content: [1]))
        let a2 = record("a", tensor(dims: [0x08, 0x03], type: "Int8", content: [2]))
        #expect(throws: CNZooError.self) { try parse(a1 + a2) }
        // slices whose bytes do not add up to the shape
        #expect(throws: CNZooError.self) { try parse(a1) }
        // the same tag again after another parameter
        let ok = record("a", tensor(dims: [0x08, 0x01], type: "Int8", content: [1]))
        do {
            _ = try parse(ok + scalar + ok)
            Issue.record("a repeated, non-consecutive tag must be refused")
        } catch let e as CNZooError {
            #expect(e.tensor == "a")
            #expect(e.message.contains("consecutive"))
        }
        // not a .ckpt at all
        do {
            _ = try parse(Array("hello world".utf8))
            Issue.record("text must not parse")
        } catch let e as CNZooError {
            #expect(e.offset == 0)
            #expect(e.message.contains("encrypted or damaged"))
        }
    }
}

@Suite struct TensorRoleTests {
    @Test func namesClassify() {
        #expect(TensorRole.classify("feature.0.0.weight") == .weight)
        #expect(TensorRole.classify("adam_m.feature.0.0.weight") == .optimizerState)
        #expect(TensorRole.classify("moments.classifier.bias") == .optimizerState)
        #expect(TensorRole.classify("moment2.x") == .optimizerState)
        #expect(TensorRole.classify("beta1_power") == .optimizerState)
        #expect(TensorRole.classify("global_step") == .bookkeeping)
        #expect(TensorRole.classify("scale_sense") == .bookkeeping)
        #expect(TensorRole.classify("ema.feature.0.0.weight") == .ema)
        #expect(TensorRole.classify("head.dense.weight") == .weight)
    }

    /// The real AdamWeightDecay training checkpoint: 65 weights + 2 appended float/bool scalars that are not
    /// bookkeeping names, 130 moments, and the optimizer's / append_info counters.
    @Test func trainingCheckpointRoles() throws {
        let ckpt = try MindSporeFormat.read(path: MindSporeFixtures.path("train_adamw.ckpt"))
        let roles = Dictionary(grouping: ckpt.tensors) { TensorRole.classify($0.name) }.mapValues { $0.map(\.name) }
        #expect(roles[.optimizerState]?.count == 130)
        #expect(Set(roles[.bookkeeping] ?? []) == ["global_step", "learning_rate", "epoch_num", "step_num"])
        #expect(roles[.weight]?.count == 67)
        #expect(roles[.weight]?.contains("loss_scale") == true)
        let weights = ckpt.keepingRoles([.weight, .ema])
        #expect(weights.tensors.count == 67)
        #expect(weights.notes.last == "dropped 130 optimizer-state, 4 bookkeeping tensors")
        #expect(weights.extras == ckpt.extras)
    }
}
