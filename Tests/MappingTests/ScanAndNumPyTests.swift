import CNZooCore
import CNZooFormats
import CNZooTestSupport
import Foundation
import Testing

/// `scan` on every format (by content) and `.npz` / `.npy` read as checkpoints, on files numpy, torch and MindSpore
/// wrote (Fixtures/generic; the object-dtype payloads were proven live under numpy.load in a child process).
@Suite struct ScanAndNumPyTests {
    static func fixture(_ name: String) -> String { TestSupport.fixture("generic/" + name) }
    static let marker = "/tmp/cnzoo_npy_object_marker"

    func json(_ s: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any])
    }

    @Test(arguments: ["resnet_tiny.npz", "resnet_tiny_compressed.npz", "resnet_tiny_ms.ckpt", "resnet_tiny_input.npy"])
    func formatsWithoutPickleSayNothingCanExecute(_ file: String) throws {
        let r = try TestSupport.run(["scan", Self.fixture(file), "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try json(r.stdout)
        #expect(j["verdict"] as? String == "no-pickle")
        #expect(j["summary"] as? String == "no pickle: nothing in this file can execute")
    }

    @Test func safetensorsHasNoPickleAndTextIsNotACheckpoint() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let st = dir + "/r.safetensors"
        #expect(try TestSupport.run(["convert", Self.fixture("resnet_tiny.pth"), "--to", "safetensors", "-o", st]).status == 0)
        let r = try TestSupport.run(["scan", st])
        #expect(r.status == 0 && r.stdout.contains("no pickle: nothing in this file can execute"), "\(r.stdout)\(r.stderr)")
        try TestSupport.writeFile(dir + "/notes.txt", Array("xyz: just some text\n".utf8))
        let t = try TestSupport.run(["scan", dir + "/notes.txt"])
        #expect(t.status == 2)
        #expect(t.stderr.contains("notes.txt") && t.stderr.contains("not a checkpoint"), "\(t.stderr)")
    }

    @Test func objectArraysAreScannedLikePickles() throws {
        unlink(Self.marker)
        let payload = try TestSupport.run(["scan", Self.fixture("object_payload.npy"), "--json"])
        #expect(payload.status == 1, "\(payload.stderr)")
        #expect(try json(payload.stdout)["verdict"] as? String == "dangerous")
        #expect(payload.stdout.contains("posix.system"))
        let member = try TestSupport.run(["scan", Self.fixture("object_member.npz")])
        #expect(member.status == 1)
        #expect(member.stdout.contains("meta.npy") && member.stdout.contains("posix.system"), "\(member.stdout)")
        let benign = try TestSupport.run(["scan", Self.fixture("object_benign.npy"), "--json"])
        #expect(benign.status == 0, "\(benign.stdout)")
        #expect(try json(benign.stdout)["verdict"] as? String == "benign")
        // Reading them as checkpoints is refused with the reason; nothing ran.
        let inspect = try TestSupport.run(["inspect", Self.fixture("object_payload.npy")])
        #expect(inspect.status == 2 && inspect.stderr.contains("object dtype"), "\(inspect.stderr)")
        let convert = try TestSupport.run(["convert", Self.fixture("object_member.npz"), "--to", "safetensors", "-o",
                                           "/tmp/cnzoo-never-written.safetensors"])
        #expect(convert.status == 2 && convert.stderr.contains("member 'meta.npy'"), "\(convert.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/cnzoo-never-written.safetensors"))
        #expect(access(Self.marker, F_OK) != 0)
    }

    @Test func trainingCheckpointScanListsBenignValues() throws {
        let r = try TestSupport.run(["scan", Self.fixture("timm_train.pth"), "--json"])
        #expect(r.status == 0, "\(r.stdout)")
        let j = try json(r.stdout)
        #expect(j["verdict"] as? String == "benign")
        let benign = j["benign"] as? [String] ?? []
        #expect(benign.contains("argparse.Namespace") && benign.contains("numpy.core.multiarray.scalar"))
    }

    @Test func npzStoredAndDeflatedReadAsTheSameTensors() throws {
        let (pth, _) = try CheckpointIO.read(path: Self.fixture("resnet_tiny.pth"))
        for f in ["resnet_tiny.npz", "resnet_tiny_compressed.npz"] {
            let (npz, format) = try CheckpointIO.read(path: Self.fixture(f))
            #expect(format.rawValue == "npz")
            #expect(npz.tensors.map(\.name) == pth.tensors.map(\.name))
            for (a, b) in zip(npz.tensors, pth.tensors) {
                #expect(a.dtype == b.dtype && a.shape == b.shape)
                #expect(try a.data.readAll() == b.data.readAll(), "\(f): \(a.name)")
            }
        }
        let npy = try TestSupport.run(["inspect", Self.fixture("resnet_tiny_logits.npy"), "--json"])
        #expect(npy.status == 0, "\(npy.stderr)")
        #expect(npy.stdout.contains("resnet_tiny_logits"))
    }

    @Test func truncatedNpzIsRefusedNamingTheFile() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let full = try TestSupport.readFile(Self.fixture("resnet_tiny_compressed.npz"))
        for cut in [full.count / 3, full.count - 30] {
            let p = "\(dir)/cut\(cut).npz"
            try TestSupport.writeFile(p, Array(full.prefix(cut)))
            let r = try TestSupport.run(["inspect", p])
            #expect(r.status == 2, "\(cut): \(r.stdout) \(r.stderr)")
            #expect(r.stderr.contains(p), "\(r.stderr)")
        }
    }
}
