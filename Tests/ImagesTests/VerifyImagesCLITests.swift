import CNZooTestSupport
import Foundation
import Testing

/// `cnzoo verify --checkpoint FILE --images DIR` end to end through the built binary.
@Suite struct VerifyImagesCLITests {
    static let micro = ["verify", "--checkpoint", TestSupport.fixture("pytorch/torchvision_micro_f32.pth"),
                        "--resize", "36", "--crop", "32", "--interpolation", "bilinear"]

    @Test func foldersJSON() throws {
        let r = try TestSupport.run(Self.micro + ["--images", TestSupport.fixture("images/folders"), "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(obj["images"] as? Int == 8)
        #expect(obj["top1"] as? Double == 100)
        #expect(obj["top5"] as? Double == 100)
        #expect(obj.keys.contains("published_top1") && obj.keys.contains("published_source"))
        let pre = try #require(obj["preprocessing"] as? [String: Any])
        #expect(pre["crop"] as? Int == 32 && pre["resize"] as? Int == 36 && pre["interpolation"] as? String == "bilinear")
    }

    @Test func listFileBelowThresholdExitsOne() throws {
        let args = Self.micro + ["--labels", TestSupport.fixture("images/list_wrong.txt")]
        let table = try TestSupport.run(args)
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("87.50"))
        let failing = try TestSupport.run(args + ["--min-top1", "90"])
        #expect(failing.status == 1)
        #expect(failing.stdout.contains("FAIL"))
    }

    @Test func zooEntryGivesPublishedTop1() throws {
        // The micro model is no zoo entry; naming one with another architecture is a clear usage error.
        let r = try TestSupport.run(["verify", "--checkpoint", TestSupport.fixture("pytorch/torchvision_micro_f32.pth"),
                                     "--images", TestSupport.fixture("images/folders"), "--zoo-id", "convnext_tiny"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("convnext_tiny"))
        // Without --crop and without a zoo entry, it says what to pass.
        let none = try TestSupport.run(["verify", "--checkpoint", TestSupport.fixture("pytorch/torchvision_micro_f32.pth"),
                                        "--images", TestSupport.fixture("images/folders")])
        #expect(none.status == 2)
        #expect(none.stderr.contains("--crop"))
    }

    @Test func emptyDirectoryIsAnInputError() throws {
        let dir = try TestSupport.makeScratchDirectory("cnzoo-images-cli")
        defer { TestSupport.removeScratch(dir) }
        let r = try TestSupport.run(Self.micro + ["--images", dir])
        #expect(r.status == 2)
        #expect(r.stderr.contains(dir))
    }

    /// Any format and convention feeds the accuracy run: the micro weights as a MindCV-named MindSpore .ckpt, run with
    /// PyTorch's erf GELU (the numerics the labels were made with), score the same 100 %.
    @Test func mindsporeCheckpointScoresTheSame() throws {
        let dir = try TestSupport.makeScratchDirectory("cnzoo-images-ms")
        defer { TestSupport.removeScratch(dir) }
        let ckpt = dir + "/micro_mindcv.ckpt"
        let c = try TestSupport.run(["convert", TestSupport.fixture("pytorch/torchvision_micro_f32.pth"), "--to", "ms",
                                     "--convention", "mindcv", "-o", ckpt])
        #expect(c.status == 0, "\(c.stderr)")
        let r = try TestSupport.run(["verify", "--checkpoint", ckpt, "--images", TestSupport.fixture("images/folders"),
                                     "--resize", "36", "--crop", "32", "--interpolation", "bilinear", "--gelu", "erf",
                                     "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(obj["convention"] as? String == "mindcv")
        #expect(obj["images"] as? Int == 8)
        #expect(obj["top1"] as? Double == 100)
    }
}
