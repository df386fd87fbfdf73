import CNZooCore
import CNZooTestSupport
import Foundation
import Testing

/// The built `cnzoo` binary on Keras files.
@Suite struct KerasCLITests {
    /// `inspect --json` lists every weight of every Keras file form under its HDF5 path.
    @Test(arguments: KerasReadWriteTests.hdf5Files + ["micro.keras"])
    func inspectListsEveryHDF5Path(_ name: String) throws {
        let expected = try KerasExpected.load()
        let want = name == "micro.keras" ? expected.keras_archive.weights : try #require(expected.files[name])
        let r = try TestSupport.run(["inspect", TestSupport.fixture("keras/\(name)"), "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let tensors = try #require(obj["tensors"] as? [[String: Any]])
        #expect(Set(tensors.compactMap { $0["name"] as? String }) == Set(want.map(\.path)))
    }

    /// `convert --to keras` then `convert --to torch` of the result reproduces the torchvision file's tensors.
    @Test func convertToKerasAndBack() throws {
        let dir = try TestSupport.makeScratchDirectory("keras-cli")
        defer { TestSupport.removeScratch(dir) }
        let src = TestSupport.fixture("pytorch/torchvision_micro_f32.pth")
        let h5 = dir + "/m.weights.h5", pth = dir + "/m.pth"
        let a = try TestSupport.run(["convert", src, "--to", "keras", "-o", h5])
        #expect(a.status == 0, "\(a.stderr)")
        let b = try TestSupport.run(["convert", h5, "--to", "torch", "-o", pth])
        #expect(b.status == 0, "\(b.stderr)")
        let d = try TestSupport.run(["diff", src, pth])
        #expect(d.status == 0, "\(d.stdout)\(d.stderr)")
    }
}
