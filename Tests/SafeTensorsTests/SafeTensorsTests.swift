import CNZooCore
import CNZooSafeTensors
import CNZooTestSupport
import Foundation
import Testing

/// What `Fixtures/generate_safetensors.py` recorded with the real safetensors package.
struct Expected: Decodable {
    struct Tensor: Decodable {
        let name: String
        let dtype: String
        let shape: [Int]
        let sha256: String
    }
    struct File: Decodable {
        let tensors: [Tensor]
        let metadata: [String: String]
    }
    struct Malformed: Decodable {
        let code: String
        let reference_error: String
    }
    let files: [String: File]
    let malformed: [String: Malformed]

    static let shared: Expected = {
        let url = URL(fileURLWithPath: TestSupport.fixture("safetensors/expected.json"))
        return try! JSONDecoder().decode(Expected.self, from: Data(contentsOf: url))
    }()
}

func sha256(_ t: TensorEntry) throws -> String {
    var h = SHA256()
    try t.data.forEachChunk { h.update($0) }
    return h.finalizeHex()
}

@Suite struct SafeTensorsFixtureTests {
    @Test(arguments: Expected.shared.files.keys.sorted())
    func readsRealPackageOutputExactly(_ name: String) throws {
        let expected = try #require(Expected.shared.files[name])
        let ckpt = try SafeTensors.read(path: TestSupport.fixture("safetensors/\(name)"))
        // The reference writer orders data by dtype alignment then name; compare as a set keyed by name.
        #expect(ckpt.tensors.count == expected.tensors.count)
        for e in expected.tensors {
            let t = try #require(ckpt.tensor(named: e.name), "missing \(e.name)")
            #expect(t.dtype.rawValue == e.dtype)
            #expect(t.shape == e.shape)
            #expect(try sha256(t) == e.sha256, "bytes of \(e.name)")
        }
        #expect(ckpt.metadata == expected.metadata)
    }

    @Test(arguments: Expected.shared.malformed.keys.sorted())
    func rejectsWhatTheReferenceRejects(_ name: String) throws {
        let expected = try #require(Expected.shared.malformed[name])
        let path = TestSupport.fixture("safetensors/malformed/\(name).safetensors")
        do {
            _ = try SafeTensors.read(path: path)
            Issue.record("\(name) was accepted; the reference rejects it: \(expected.reference_error)")
        } catch let e as CNZooError {
            #expect(e.code.rawValue == expected.code, "\(name): \(e)")
            #expect(e.file == path)
            #expect(e.offset != nil || e.tensor != nil, "\(name): error must say where: \(e)")
        }
    }

    @Test func truncationAtEveryByteIsAnError() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let full = try TestSupport.readFile(TestSupport.fixture("safetensors/dtypes.safetensors"))
        let path = dir + "/cut.safetensors"
        for n in 0..<full.count {
            try TestSupport.writeFile(path, Array(full[0..<n]))
            #expect(throws: CNZooError.self, "truncated at \(n)") { try SafeTensors.read(path: path) }
        }
    }
}

@Suite struct SafeTensorsRoundTripTests {
    /// Random checkpoints: shapes of rank 0–4 (zero-size dims included) × every known dtype, random bytes, random
    /// metadata. Write → read must give identical names, order, dtypes, shapes, bytes and metadata; writing the
    /// same checkpoint twice must give identical files.
    @Test(arguments: 0..<40)
    func roundTripProperty(seed: Int) throws {
        var rng = SplitMix64(state: UInt64(seed) &* 7919 &+ 1)
        var tensors: [TensorEntry] = []
        for i in 0..<(1 + rng.below(12)) {
            let dtype = DType.known[rng.below(DType.known.count)].0
            let rank = rng.below(5)
            let shape = (0..<rank).map { _ in rng.below(6) == 0 ? 0 : 1 + rng.below(5) }
            let n = try #require(Checked.byteCount(shape, dtype))
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            tensors.append(TensorEntry(name: "t\(i).\(rng.below(1000))", dtype: dtype, shape: shape, data: .bytes(bytes)))
        }
        var metadata: [String: String] = [:]
        for i in 0..<rng.below(4) { metadata["k\(i)"] = "v\"\(rng.next())\u{e9}\n" }
        let ckpt = Checkpoint(tensors: tensors, metadata: metadata)

        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        try SafeTensors.write(ckpt, to: dir + "/a.safetensors")
        try SafeTensors.write(ckpt, to: dir + "/b.safetensors")
        #expect(try TestSupport.readFile(dir + "/a.safetensors") == TestSupport.readFile(dir + "/b.safetensors"))

        let back = try SafeTensors.read(path: dir + "/a.safetensors")
        #expect(back.tensors.map(\.name) == tensors.map(\.name))
        for (x, y) in zip(back.tensors, tensors) {
            #expect(x.dtype == y.dtype)
            #expect(x.shape == y.shape)
            #expect(try x.data.readAll() == y.data.readAll())
        }
        var expectedMetadata = metadata
        expectedMetadata["format"] = "pt"
        #expect(back.metadata == expectedMetadata)

        let header = try TestSupport.readFile(dir + "/a.safetensors")
        let n = header.prefix(8).enumerated().reduce(0) { $0 | Int($1.1) << (8 * $1.0) }
        #expect(n % 8 == 0, "header padded to 8 bytes")
        #expect(header[8] == UInt8(ascii: "{"))

        if let out = ProcessInfo.processInfo.environment["CNZOO_INTEROP_OUT"], seed < 8 {
            try FileManager.default.createDirectory(atPath: out + "/safetensors", withIntermediateDirectories: true)
            let target = out + "/safetensors/roundtrip-\(seed).safetensors"
            try? FileManager.default.removeItem(atPath: target)
            try SafeTensors.write(ckpt, to: target)
            let summary = try tensors.map { t -> [String: Any] in
                ["name": t.name, "dtype": t.dtype.rawValue, "shape": t.shape, "sha256": try sha256(t)]
            }
            let json = try JSONSerialization.data(withJSONObject: ["tensors": summary, "metadata": expectedMetadata],
                                                  options: [.sortedKeys])
            try json.write(to: URL(fileURLWithPath: target + ".expected.json"))
        }
    }

    @Test func rewritingARealFileKeepsEveryByteOfEveryTensor() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let src = try SafeTensors.read(path: TestSupport.fixture("safetensors/dtypes.safetensors"))
        try SafeTensors.write(src, to: dir + "/out.safetensors")
        let back = try SafeTensors.read(path: dir + "/out.safetensors")
        #expect(back.tensors.map(\.name) == src.tensors.map(\.name))
        for (a, b) in zip(back.tensors, src.tensors) { #expect(try a.data.readAll() == b.data.readAll()) }
        #expect(back.metadata == src.metadata)
    }

    @Test func writerRefusesWhatCannotBeWritten() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let bad = Checkpoint(tensors: [TensorEntry(name: "x", dtype: .f32, shape: [3], data: .bytes([0, 0, 0, 0]))])
        #expect(throws: CNZooError.self) { try SafeTensors.write(bad, to: dir + "/x.safetensors") }
        let dup = Checkpoint(tensors: [TensorEntry(name: "x", dtype: .u8, shape: [1], data: .bytes([1])),
                                       TensorEntry(name: "x", dtype: .u8, shape: [1], data: .bytes([2]))])
        #expect(throws: CNZooError.self) { try SafeTensors.write(dup, to: dir + "/y.safetensors") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "no partial output left behind")
    }
}
