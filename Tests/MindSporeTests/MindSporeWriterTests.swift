import CNZooCore
import CNZooFormats
@testable import CNZooMindSpore
import CNZooTestSupport
import Foundation
import Testing

@Suite struct MindSporeWriterTests {
    /// When `CNZOO_INTEROP_OUT` is set, cnzoo-written files are copied to `$CNZOO_INTEROP_OUT/mindspore/` for
    /// `scripts/interop/check_mindspore.py`.
    private func export(_ path: String, as name: String) throws {
        guard let root = ProcessInfo.processInfo.environment["CNZOO_INTEROP_OUT"], !root.isEmpty else { return }
        let dir = root + "/mindspore"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let target = dir + "/" + name
        try? FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: path, toPath: target)
    }

    /// Reading a MindSpore-written file and writing it back gives MindSpore's own bytes: same record layout, same
    /// slicing, same scalar and `str` encodings, same CRC trailer.
    @Test(arguments: MindSporeFixtures.plainCkpts)
    func roundTripIsByteIdenticalToMindSpore(_ name: String) throws {
        let source = MindSporeFixtures.path(name)
        let ckpt = try MindSporeFormat.read(path: source)
        let dir = try TestSupport.makeScratchDirectory("ms-write")
        defer { TestSupport.removeScratch(dir) }
        let out = dir + "/" + name
        let crc = name == "micro_crc.ckpt" || name == "sliced.ckpt"
        let slice = name == "sliced.ckpt" ? 1024 : MindSporeFormat.defaultSliceBytes
        try MindSporeFormat.write(ckpt, to: out, options: WriteOptions(crc: crc), sliceBytes: slice)
        #expect(try TestSupport.readFile(out) == TestSupport.readFile(source))
        try export(out, as: name)
    }

    /// Files cnzoo composes itself (not byte copies of a MindSpore file), exported for the interop check as
    /// `<variant>__<source fixture>`: MindSpore safetensors → .ckpt (name order changes), and 100-byte slices that
    /// cut through elements, with a CRC trailer.
    @Test func composedFilesReadBack() throws {
        let dir = try TestSupport.makeScratchDirectory("ms-composed")
        defer { TestSupport.removeScratch(dir) }
        let (fromST, _) = try CheckpointIO.read(path: MindSporeFixtures.path("micro_mindcv_f32.safetensors"))
        var plain = fromST
        plain.metadata = [:]
        plain.notes = []
        let converted = dir + "/from_safetensors__micro_mindcv_f32.ckpt"
        try CheckpointIO.write(plain, format: .mindspore, to: converted)
        let original = try MindSporeFormat.read(path: MindSporeFixtures.path("micro_mindcv_f32.ckpt"))
        let back = try MindSporeFormat.read(path: converted)
        #expect(back.tensors.map(\.name) == fromST.tensors.map(\.name))
        for t in back.tensors {
            let o = try #require(original.tensor(named: t.name))
            #expect(t.shape == o.shape && t.dtype == o.dtype)
            #expect(try t.data.readAll() == o.data.readAll())
        }
        try export(converted, as: "from_safetensors__micro_mindcv_f32.ckpt")

        let sliced = dir + "/slices100__micro_mindcv_f32.ckpt"
        try MindSporeFormat.write(original, to: sliced, options: WriteOptions(crc: true), sliceBytes: 100)
        let again = try MindSporeFormat.read(path: sliced)
        #expect(again.notes.contains { $0.contains("verified") })
        for (x, y) in zip(again.tensors, original.tensors) { #expect(try x.data.readAll() == y.data.readAll()) }
        try export(sliced, as: "slices100__micro_mindcv_f32.ckpt")
    }

    @Test func writingIsDeterministicAndReadsBack() throws {
        let ckpt = try MindSporeFormat.read(path: MindSporeFixtures.path("train_adamw.ckpt"))
        let dir = try TestSupport.makeScratchDirectory("ms-det")
        defer { TestSupport.removeScratch(dir) }
        try CheckpointIO.write(ckpt, format: .mindspore, to: dir + "/a.ckpt")
        try CheckpointIO.write(ckpt, format: .mindspore, to: dir + "/b.ckpt")
        #expect(try TestSupport.readFile(dir + "/a.ckpt") == TestSupport.readFile(dir + "/b.ckpt"))
        let (back, format) = try CheckpointIO.read(path: dir + "/a.ckpt")
        #expect(format == .mindspore)
        #expect(back.tensors.map(\.name) == ckpt.tensors.map(\.name))
        #expect(back.extras == ckpt.extras)
        for (x, y) in zip(back.tensors, ckpt.tensors) {
            #expect(x.dtype == y.dtype && x.shape == y.shape)
            #expect(try x.data.readAll() == y.data.readAll())
        }
        // --force semantics come from AtomicFileWriter.
        #expect(throws: CNZooError.self) { try CheckpointIO.write(ckpt, format: .mindspore, to: dir + "/a.ckpt") }
    }

    /// Tiny slices: a sliced write with CRC reads back identical, from many records per tensor, CRC verified.
    @Test(arguments: [1, 3, 1000])
    func slicedWriteReadsBackIdentical(_ slice: Int) throws {
        let ckpt = try MindSporeFormat.read(path: MindSporeFixtures.path("dtypes.ckpt"))
        let dir = try TestSupport.makeScratchDirectory("ms-slice")
        defer { TestSupport.removeScratch(dir) }
        let out = dir + "/s.ckpt"
        try MindSporeFormat.write(ckpt, to: out, options: WriteOptions(crc: true), sliceBytes: slice)
        let back = try MindSporeFormat.read(path: out)
        #expect(back.notes.contains { $0.contains("verified") })
        #expect(back.tensors.map(\.name) == ckpt.tensors.map(\.name))
        for (x, y) in zip(back.tensors, ckpt.tensors) {
            #expect(x.dtype == y.dtype && x.shape == y.shape)
            #expect(try x.data.readAll() == y.data.readAll())
        }
        #expect(back.extras == ckpt.extras)
        if slice == 1 {
            let f64 = try #require(back.tensor(named: "f64"))
            guard case let .chunks(_, ranges) = f64.data.source else {
                Issue.record("32 bytes in 1-byte slices should be 32 records")
                return
            }
            #expect(ranges.count == 32)
        }
    }

    @Test func extrasAndScalarsEncodeLikeMindSpore() throws {
        let ckpt = Checkpoint(
            tensors: [TensorEntry(name: "s", dtype: .f32, shape: [], data: .bytes([0, 0, 0x80, 0x3F]))],
            extras: [CheckpointExtra(name: "t", value: .string("aé")), CheckpointExtra(name: "n", value: .int(-2)),
                     CheckpointExtra(name: "o", value: .opaque("not writable"))])
        let dir = try TestSupport.makeScratchDirectory("ms-extras")
        defer { TestSupport.removeScratch(dir) }
        try MindSporeFormat.write(ckpt, to: dir + "/e.ckpt")
        let bytes = try TestSupport.readFile(dir + "/e.ckpt")
        // First record: scalar with no dims.
        let first: [UInt8] = [0x0A, 0x14, 0x0A, 0x01, 0x73, 0x12, 0x0F, 0x12, 0x07] + Array("Float32".utf8)
            + [0x1A, 0x04, 0, 0, 0x80, 0x3F]
        #expect(Array(bytes.prefix(first.count)) == first)
        let back = try MindSporeFormat.read(path: dir + "/e.ckpt")
        #expect(back.extras == [CheckpointExtra(name: "t", value: .string("aé"))])
        #expect(back.tensor(named: "n")?.dtype == .i64)
        #expect(back.tensor(named: "n")?.shape == [])
    }

    @Test func refusesWhatMindSporeCannotHold() throws {
        let dir = try TestSupport.makeScratchDirectory("ms-refuse")
        defer { TestSupport.removeScratch(dir) }
        let f8 = Checkpoint(tensors: [TensorEntry(name: "q", dtype: DType(rawValue: "F8_E4M3"), shape: [2],
                                                  data: .bytes([1, 2]))])
        do {
            try MindSporeFormat.write(f8, to: dir + "/q.ckpt")
            Issue.record("F8 has no MindSpore tensor_type")
        } catch let e as CNZooError {
            #expect(e.code == .unsupported)
            #expect(e.tensor == "q")
        }
        let empty1d = Checkpoint(tensors: [TensorEntry(name: "z", dtype: .f32, shape: [0], data: .bytes([]))])
        #expect(throws: CNZooError.self) { try MindSporeFormat.write(empty1d, to: dir + "/z.ckpt") }
        let dup = Checkpoint(tensors: [TensorEntry(name: "d", dtype: .u8, shape: [1], data: .bytes([1]))],
                             extras: [CheckpointExtra(name: "d", value: .string("x"))])
        #expect(throws: CNZooError.self) { try MindSporeFormat.write(dup, to: dir + "/d.ckpt") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)  // nothing half-written
    }

    /// `cnzoo inspect --json` reports a role for every tensor and keeps the other fields.
    @Test func inspectJSONReportsRoles() throws {
        let r = try TestSupport.run(["inspect", "--json", MindSporeFixtures.path("train_adamw.ckpt")])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let tensors = try #require(json["tensors"] as? [[String: Any]])
        #expect(tensors.count == 201)
        let roles = Dictionary(grouping: tensors) { $0["role"] as? String ?? "missing" }.mapValues(\.count)
        #expect(roles == ["weight": 67, "optimizer-state": 130, "bookkeeping": 4])
        #expect(tensors.first?["dtype"] as? String == "F32")
        #expect(tensors.first?["bytes"] as? Int == 384 * 4)
    }

    /// End to end: the encrypted fixture is refused with the input-error exit code and a message saying why.
    @Test func inspectRefusesEncryptedFile() throws {
        let r = try TestSupport.run(["inspect", MindSporeFixtures.path("micro_encrypted.ckpt")])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("looks encrypted"))
        #expect(r.stderr.contains("micro_encrypted.ckpt"))
    }
}
