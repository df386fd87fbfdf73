import CNZooCore
import CNZooFormats
@testable import CNZooKeras
import CNZooTestSupport
import Foundation
import Testing

/// `Fixtures/keras/expected.json`, written by `Fixtures/generate_keras.py` with h5py from the files keras wrote.
struct KerasExpected: Decodable {
    struct Dataset: Decodable {
        let path: String
        let dtype: String
        let shape: [Int]
        let sha256: String
        let layer: String?
    }
    struct Archive: Decodable {
        let weights: [Dataset]
    }
    let files: [String: [Dataset]]
    let keras_archive: Archive

    static func load() throws -> KerasExpected {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestSupport.fixture("keras/expected.json")))
        return try JSONDecoder().decode(KerasExpected.self, from: data)
    }

    static func sha256(_ t: TensorEntry) throws -> String {
        let h = SHA256()
        try t.data.forEachChunk { h.update($0) }
        return h.finalizeHex()
    }
}

@Suite struct KerasReadWriteTests {
    static let hdf5Files = ["micro.weights.h5", "micro_legacy_weights.h5", "micro_legacy_model.h5"]

    /// Every dataset keras wrote is listed under its HDF5 path with the right dtype, shape and bytes.
    @Test(arguments: hdf5Files + ["micro.keras"])
    func fixtureReadsExactly(_ name: String) throws {
        let expected = try KerasExpected.load()
        let want = name == "micro.keras" ? expected.keras_archive.weights : try #require(expected.files[name])
        let (ckpt, format) = try CheckpointIO.read(path: TestSupport.fixture("keras/\(name)"))
        #expect(format == (name == "micro.keras" ? .kerasArchive : .hdf5))
        #expect(Set(ckpt.tensors.map(\.name)) == Set(want.map(\.path)))
        #expect(ckpt.tensors.count == want.count)
        let byPath = Dictionary(uniqueKeysWithValues: want.map { ($0.path, $0) })
        for t in ckpt.tensors {
            let w = try #require(byPath[t.name])
            #expect(t.dtype == .f32 && w.dtype == "float32", "\(t.name)")
            #expect(t.shape == w.shape, "\(t.name)")
            #expect(try KerasExpected.sha256(t) == w.sha256, "\(t.name)")
            if let layer = w.layer, let dir = t.name.split(separator: "/").dropLast().joined(separator: "/") as String? {
                #expect(ckpt.metadata[KerasFormat.MetadataKey.namePrefix + dir] == layer, "\(t.name)")
            }
        }
        let layout = ckpt.metadata[KerasFormat.MetadataKey.layout]
        let wantLayout: KerasFormat.Layout = switch name {
        case "micro.keras": .kerasArchive
        case "micro_legacy_weights.h5": .legacyWeights
        case "micro_legacy_model.h5": .legacyModel
        default: .keras3Weights
        }
        #expect(layout == wantLayout.rawValue)
    }

    /// Contiguous datasets of a plain file are served as ranges of the mapped file, not copies.
    @Test func contiguousDatasetsStayInTheFile() throws {
        let ckpt = try KerasFormat.read(path: TestSupport.fixture("keras/micro.weights.h5"))
        #expect(!ckpt.tensors.isEmpty)
        for t in ckpt.tensors {
            guard case .file = t.data.source else {
                Issue.record("\(t.name) is not a file range")
                continue
            }
        }
    }

    /// Legacy files come in the order Keras loads them: `layer_names`, then each layer's `weight_names`.
    @Test func legacyOrderFollowsLayerNames() throws {
        let ckpt = try KerasFormat.read(path: TestSupport.fixture("keras/micro_legacy_weights.h5"))
        let names = ckpt.tensors.map(\.name)
        #expect(names.first == "convnext_micro_stem/convnext_micro_stem/convnext_micro_stem_conv/kernel")
        #expect(names.last == "convnext_micro_head_dense/convnext_micro_head_dense/bias")
        #expect(names.contains("convnext_micro_stage_0_block_0_layer_scale/convnext_micro_stage_0_block_0_layer_scale/variable"))
        let layers = try #require(ckpt.metadata[KerasFormat.MetadataKey.layerNames]).split(separator: "\n")
        #expect(layers.first == "input_layer")
        #expect(ckpt.metadata[KerasFormat.MetadataKey.backend] == "jax")
    }

    /// Writing what was read gives a file that reads back to the same tensors, and the same bytes twice over.
    @Test func writeRoundTripsAndIsDeterministic() throws {
        let dir = try TestSupport.makeScratchDirectory("keras-write")
        defer { TestSupport.removeScratch(dir) }
        let ckpt = try KerasFormat.read(path: TestSupport.fixture("keras/micro.weights.h5"))
        let a = dir + "/a.weights.h5", b = dir + "/b.weights.h5"
        try KerasFormat.write(ckpt, to: a)
        Thread.sleep(forTimeInterval: 1.1)  // a time stamp, if one were written, would now differ
        try KerasFormat.write(ckpt, to: b)
        #expect(try TestSupport.readFile(a) == TestSupport.readFile(b))
        let back = try KerasFormat.read(path: a)
        #expect(back.tensors.map(\.name) == ckpt.tensors.map(\.name))
        for (x, y) in zip(back.tensors, ckpt.tensors) {
            #expect(x.shape == y.shape && x.dtype == y.dtype)
            #expect(try x.data.readAll() == y.data.readAll(), "\(x.name)")
        }
        for (k, v) in ckpt.metadata where k.hasPrefix(KerasFormat.MetadataKey.namePrefix) {
            #expect(back.metadata[k] == v, "\(k)")
        }
        #expect(throws: CNZooError.self) { try KerasFormat.write(ckpt, to: a) }  // exists, no overwrite
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["a.weights.h5", "b.weights.h5"])
    }

    /// bf16 and f16 tensors survive a write and a read bit for bit (bf16 as uint16 + dtype="bfloat16").
    @Test func halfPrecisionRoundTrips() throws {
        let dir = try TestSupport.makeScratchDirectory("keras-half")
        defer { TestSupport.removeScratch(dir) }
        let bits: [UInt8] = [0x80, 0x3F, 0x00, 0xC0, 0x49, 0x40, 0x00, 0x00]
        let ckpt = Checkpoint(tensors: [
            TensorEntry(name: "layers/dense/vars/0", dtype: .bf16, shape: [2, 2], data: .bytes(bits)),
            TensorEntry(name: "layers/dense/vars/1", dtype: .f16, shape: [4], data: .bytes(bits)),
        ])
        let path = dir + "/h.weights.h5"
        try KerasFormat.write(ckpt, to: path)
        let back = try KerasFormat.read(path: path)
        #expect(back.tensors.map(\.dtype) == [.bf16, .f16])
        #expect(try back.tensors.map { try $0.data.readAll() } == [bits, bits])
    }
}
