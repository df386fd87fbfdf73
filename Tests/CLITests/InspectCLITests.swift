import CNZooCore
import CNZooTestSupport
import Foundation
import Testing

/// End-to-end tests that run the built `cnzoo` binary, like swift-argument-parser's.
@Suite struct InspectCLITests {
    @Test func jsonReportIsTheContract() throws {
        let r = try TestSupport.run(["inspect", TestSupport.fixture("safetensors/edge_shapes.safetensors"), "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(obj["format"] as? String == "safetensors")
        #expect(obj["metadata"] as? [String: String] == ["format": "pt"])
        #expect(obj["extras"] as? [Any] != nil)
        let tensors = try #require(obj["tensors"] as? [[String: Any]])
        let byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0["name"] as! String, $0) })
        #expect(byName["scalar_f32"]?["shape"] as? [Int] == [])
        #expect(byName["scalar_f32"]?["dtype"] as? String == "F32")
        #expect(byName["empty_2d_f16"]?["shape"] as? [Int] == [3, 0])
        #expect(byName["empty_2d_f16"]?["bytes"] as? Int == 0)
        let totals = try #require(obj["totals"] as? [String: Int])
        #expect(totals["tensors"] == 5)
        #expect(totals["parameters"] == 1 + 1 + 0 + 0 + 1)
    }

    @Test func tableListsEveryTensor() throws {
        let r = try TestSupport.run(["inspect", TestSupport.fixture("safetensors/dtypes.safetensors")])
        #expect(r.status == 0)
        for name in ["f64", "f32", "f16", "bf16", "i64", "i32", "i16", "i8", "u8", "bool"] {
            #expect(r.stdout.contains("\n\(name) "), "missing row \(name)")
        }
        #expect(r.stdout.contains("10 tensors"))
    }

    @Test func malformedInputIsExitTwoWithWhereAndWhat() throws {
        let path = TestSupport.fixture("safetensors/malformed/overlap.safetensors")
        let r = try TestSupport.run(["inspect", path])
        #expect(r.status == 2)
        #expect(r.stderr.contains(path))
        #expect(r.stderr.contains("tensor 'b'"))
        #expect(r.stderr.contains("overlaps"))
        #expect(r.stdout.isEmpty)
    }

    @Test func unknownAndMissingFiles() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        try TestSupport.writeFile(dir + "/junk.bin", Array("hello, not a checkpoint".utf8))
        let junk = try TestSupport.run(["inspect", dir + "/junk.bin"])
        #expect(junk.status == 2)
        #expect(junk.stderr.contains("not a recognised checkpoint"))
        let missing = try TestSupport.run(["inspect", dir + "/nope.safetensors"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("No such file"))
        #expect(missing.stderr.contains("nope.safetensors"))
    }

    @Test func detectionIsByContentNotExtension() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let bytes = try TestSupport.readFile(TestSupport.fixture("safetensors/no_metadata.safetensors"))
        try TestSupport.writeFile(dir + "/weights.pth", bytes)
        let r = try TestSupport.run(["inspect", dir + "/weights.pth", "--json"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("\"format\" : \"safetensors\""))
    }
}
