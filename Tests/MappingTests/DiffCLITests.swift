@testable import CNZooConversion
import CNZooCore
import CNZooFormats
import CNZooMapping
import CNZooTestSupport
import Foundation
import Testing

/// `cnzoo diff` prints names as each file spells them beside the canonical name, tells a layout difference from
/// equal tensors, and says when the two files are different architectures.
@Suite struct DiffCLITests {
    func write(_ spec: any ArchitectureSpec, _ convention: any NamingConvention, to path: String) throws {
        try CheckpointIO.write(try Micro.spelled(spec, convention), format: .safetensors, to: path)
    }

    func json(_ s: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any])
    }

    @Test func layerScaleLayoutIsADifferenceNotIdentical() throws {
        let dir = try TestSupport.makeScratchDirectory("cnzoo-diff")
        defer { TestSupport.removeScratch(dir) }
        let tv = dir + "/tv.safetensors", ms = dir + "/ms.safetensors"
        try write(Micro.convnext, TorchVisionConvention(), to: tv)      // layer_scale [C,1,1]
        try write(Micro.convnext, MindSporeVisionConvention(), to: ms)  // gamma [C]
        let r = try TestSupport.run(["diff", tv, ms])
        #expect(r.status == 0, "equal values are equivalent (exit 0): \(r.stdout)\(r.stderr)")
        let layerScales = Micro.convnext.depths.reduce(0, +)
        #expect(r.stdout.contains("equivalent: the same values, \(layerScales) tensors stored in another layout"),
                "\(r.stdout)")
        #expect(!r.stdout.contains("identical"), "\(r.stdout)")
        // The row: canonical name, then each file's own spelling, the status and the stored shapes.
        let row = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("stages.0.blocks.0.layer_scale ") })
        let cells = row.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        #expect(cells.prefix(4) == ["stages.0.blocks.0.layer_scale", "features.1.0.layer_scale",
                                    "backbone.block1.0.gamma", "layout"], "\(row)")
        #expect(row.contains("[4, 1, 1] / [4]"), "\(row)")
        // --all lists equal rows with both spellings too.
        let all = try TestSupport.run(["diff", tv, ms, "--all"])
        #expect(all.stdout.contains("stem.conv.weight"), "\(all.stdout)")
        #expect(all.stdout.contains("features.0.0.weight"), "\(all.stdout)")

        let jr = try TestSupport.run(["diff", tv, ms, "--json"])
        #expect(jr.status == 0, "the exit code does not depend on --json")
        let j = try json(jr.stdout)
        #expect(j["identical"] as? Bool == false)
        #expect(j["equivalent"] as? Bool == true)
        #expect(j["same_architecture"] as? Bool == true)
        let tensors = try #require(j["tensors"] as? [[String: Any]])
        let ls = try #require(tensors.first { $0["name"] as? String == "stages.0.blocks.0.layer_scale" })
        #expect(ls["status"] as? String == "layout")
        #expect(ls["stored_names"] as? [String] == ["features.1.0.layer_scale", "backbone.block1.0.gamma"])
        #expect(ls["stored_shapes"] as? [[Int]] == [[4, 1, 1], [4]])
        #expect(ls["shape"] as? [[Int]] == [[4], [4]])

        // Same layout on both sides: identical.
        let same = try TestSupport.run(["diff", tv, tv])
        #expect(same.status == 0 && same.stdout.contains("identical: \(Micro.convnext.parameters().count) tensors equal"),
                "\(same.stdout)")
    }

    @Test func differentArchitecturesAreSaidAsSuch() throws {
        let dir = try TestSupport.makeScratchDirectory("cnzoo-diff-arch")
        defer { TestSupport.removeScratch(dir) }
        let a = dir + "/a.safetensors", b = dir + "/b.safetensors"
        try write(Micro.convnext, TorchVisionConvention(), to: a)
        let deeper = ConvNeXtSpec(depths: [2, 1, 4, 1], dims: Micro.convnext.dims, numClasses: Micro.convnext.numClasses)
        try write(deeper, TorchVisionConvention(), to: b)
        let r = try TestSupport.run(["diff", a, b])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("different architectures: \(Micro.convnext.summary) vs \(deeper.summary)"), "\(r.stdout)")
        // The per-tensor rows of two different models are left to --all.
        #expect(!r.stdout.contains("only-b  "), "\(r.stdout)")
        let jr = try TestSupport.run(["diff", a, b, "--json"])
        #expect(jr.status == 1)
        let j = try json(jr.stdout)
        #expect(j["same_architecture"] as? Bool == false)
        #expect(j["equivalent"] as? Bool == false)
    }

    @Test func publishedVariantsAreNamedShortly() {
        func side(_ variant: String?, _ family: String = "convnext") -> DiffReport.Side {
            DiffReport.Side(file: "f", format: "pytorch", convention: "torchvision", architecture: Family(rawValue: family),
                            variant: variant, spec: "ConvNeXt depths […]", confidence: 1, wrapperKey: nil,
                            otherWeightKeys: [])
        }
        #expect("\(side("convnext_tiny").architectureName) vs \(side("convnext_small").architectureName)"
                == "convnext tiny vs convnext small")
        #expect(side(nil).architectureName == "ConvNeXt depths […]")
        #expect(side("convmixer_768_32", "convmixer").architectureName == "convmixer 768_32")
    }
}
