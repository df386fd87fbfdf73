import CNZooCore
import CNZooFormats
import CNZooPyTorch
import CNZooTestSupport
import Foundation
import Testing

/// What Fixtures/generate_pytorch.py exported with real torch.
struct PyTorchExpected {
    struct Tensor: Equatable, CustomStringConvertible {
        let name: String
        let dtype: String
        let shape: [Int]
        let sha256: String
        var description: String { "\(name) \(dtype) \(shape) \(sha256.prefix(12))" }
    }

    /// fixture file → selection ("default" or a --key) → tensors in order.
    let fixtures: [String: [String: [Tensor]]]
    /// fixture file → the error code cnzoo must give.
    let refused: [String: String]
    let marker: String

    static let shared: PyTorchExpected = {
        let data = try! Data(contentsOf: URL(fileURLWithPath: TestSupport.fixture("pytorch/expected.json")))
        let obj = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
        var fixtures: [String: [String: [Tensor]]] = [:]
        for (file, sels) in obj["fixtures"] as! [String: [String: [[String: Any]]]] {
            fixtures[file] = sels.mapValues { list in
                list.map { Tensor(name: $0["name"] as! String, dtype: $0["dtype"] as! String,
                                  shape: $0["shape"] as! [Int], sha256: $0["sha256"] as! String) }
            }
        }
        return PyTorchExpected(fixtures: fixtures, refused: obj["refused"] as! [String: String],
                               marker: obj["marker"] as! String)
    }()
}

/// The checkpoint's tensors as (name, dtype, shape, sha256 of the bytes it yields).
func digest(_ ckpt: Checkpoint) throws -> [PyTorchExpected.Tensor] {
    try ckpt.tensors.map { t in
        var h = SHA256()
        try t.data.forEachChunk { h.update($0) }
        return .init(name: t.name, dtype: t.dtype.rawValue, shape: t.shape, sha256: h.finalizeHex())
    }
}

@Suite struct PyTorchReadTests {
    static let readable: [String] = PyTorchExpected.shared.fixtures.keys.sorted()

    @Test(arguments: readable)
    func everyFixtureReadsExactly(_ file: String) throws {
        let path = TestSupport.fixture("pytorch/\(file)")
        for (selection, expected) in try #require(PyTorchExpected.shared.fixtures[file]) {
            let options = ReadOptions(key: selection == "default" ? nil : selection)
            let (ckpt, format) = try CheckpointIO.read(path: path, options: options)
            #expect(format.checkpointFormat == .pytorch)
            let got = try digest(ckpt)
            #expect(got.map(\.name) == expected.map(\.name), "\(file) [\(selection)] names")
            for (g, e) in zip(got, expected) { #expect(g == e, "\(file) [\(selection)]") }
        }
    }

    @Test func wrappedOfficialCheckpointKeepsEpochAndArgsAsExtras() throws {
        let (ckpt, _) = try CheckpointIO.read(path: TestSupport.fixture("pytorch/official_wrapped.pth"))
        #expect(ckpt.extras.first { $0.name == "epoch" }?.value == .int(3))
        guard case let .opaque(text)? = ckpt.extras.first(where: { $0.name == "args" })?.value else {
            Issue.record("args should be an opaque extra"); return
        }
        #expect(text.contains("argparse.Namespace") && text.contains("lr=0.004"))
        #expect(ckpt.notes.contains { $0.contains("using top-level key 'model'") })
        #expect(ckpt.notes.contains { $0.contains("argparse.Namespace") })
    }

    @Test func timmWrapperDefaultsToEMAAndStripsPrefixesOnRequest() throws {
        let path = TestSupport.fixture("pytorch/timm_ema.pth")
        let (ema, _) = try CheckpointIO.read(path: path)
        #expect(ema.notes.contains { $0.contains("'state_dict_ema'") })
        #expect(ema.tensors.allSatisfy { $0.name.hasPrefix("module.") })
        #expect(ema.extras.first { $0.name == "metric" }?.value == .float(71.25))
        let (raw, _) = try CheckpointIO.read(path: path, options: ReadOptions(key: "state_dict", stripPrefixes: true))
        #expect(raw.tensors.count == ema.tensors.count)
        #expect(raw.tensors.first?.name == "stem.0.weight")
        #expect(raw.tensors.allSatisfy { !$0.name.hasPrefix("module.") })
        #expect(raw.notes.contains { $0.contains("stripped") })
        // Stripping renames only: the bytes match the unstripped read.
        let (plain, _) = try CheckpointIO.read(path: path, options: ReadOptions(key: "state_dict"))
        #expect(try digest(raw).map(\.sha256) == digest(plain).map(\.sha256))
        #expect(throws: CNZooError.self) { try CheckpointIO.read(path: path, options: ReadOptions(key: "nope")) }
    }

    @Test func viewsAreInPlaceWhenContiguousAndMaterializedOtherwise() throws {
        let (ckpt, _) = try CheckpointIO.read(path: TestSupport.fixture("pytorch/views.pth"))
        func isFileRange(_ n: String) -> Bool {
            if case .file? = ckpt.tensor(named: n)?.data.source { return true }
            return false
        }
        #expect(isFileRange("slice") && isFileRange("rows") && isFileRange("num_batches_tracked"))
        #expect(!isFileRange("matrix_t") && !isFileRange("cols") && !isFileRange("step"))
        #expect(ckpt.tensor(named: "num_batches_tracked")?.shape == [])
        #expect(ckpt.tensor(named: "num_batches_tracked")?.dtype == .i64)
        #expect(ckpt.notes.contains { $0.contains("tied_a, tied_b share storage") })
    }

    @Test func bigEndianArchivesAreSwappedLikeTorch() throws {
        let (ckpt, _) = try CheckpointIO.read(path: TestSupport.fixture("pytorch/bigendian.pth"))
        #expect(ckpt.notes.contains { $0.contains("byte-swapped") })
    }

    @Test(arguments: PyTorchExpected.shared.refused.keys.sorted())
    func refusedFilesGiveSpecificErrorsAndRunNothing(_ file: String) throws {
        let path = TestSupport.fixture("pytorch/\(file)")
        let marker = PyTorchExpected.shared.marker
        unlink(marker)
        let code = try #require(PyTorchExpected.shared.refused[file])
        // Through the one entry point (protocol-0 pickles are not even recognised as checkpoints there)...
        do {
            _ = try CheckpointIO.read(path: path)
            Issue.record("\(file) was read")
        } catch let e as CNZooError {
            #expect(e.code.rawValue == code || e.code == .unknownFormat, "\(file): \(e)")
            #expect(e.file == path)
        }
        // ...and through the PyTorch reader directly, which must give exactly the expected code.
        do {
            _ = try PyTorchFormat.read(file: MappedFile(path: path))
            Issue.record("\(file) was read by PyTorchFormat")
        } catch let e as CNZooError {
            #expect(e.code.rawValue == code, "\(file): \(e)")
        }
        #expect(access(marker, F_OK) != 0, "the payload ran: \(marker) exists")
    }
}
