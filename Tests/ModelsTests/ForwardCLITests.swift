import CNZooNumPy
import CNZooTestSupport
import Foundation
import Testing

/// End-to-end runs of the built `cnzoo forward` and `cnzoo verify`.
@Suite struct ForwardCLITests {
    @Test func forwardWritesTorchvisionLogits() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let out = dir + "/y.npy"
        let r = try TestSupport.run(["forward", "--checkpoint", TestSupport.fixture("forward/micro_weights.safetensors"),
                                     "--input", TestSupport.fixture("forward/micro_input.npy"), "--output", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("row 1: top-5"))
        let got = try NumPyFormat.read(path: out)
        #expect(got.shape == [2, 10])
        let want = try NumPyFormat.read(path: TestSupport.fixture("forward/micro_logits_torchvision.npy")).floats()
        let diff = zip(try got.floats(), want).map { abs($0 - $1) }.max() ?? .infinity
        #expect(diff < 1e-4)
        // The output exists now: refused without --force, and the file is untouched.
        let again = try TestSupport.run(["forward", "--checkpoint", TestSupport.fixture("forward/micro_weights.safetensors"),
                                         "--input", TestSupport.fixture("forward/micro_input.npy"), "--output", out,
                                         "--gelu", "tanh"])
        #expect(again.status == 3)
        #expect(try NumPyFormat.read(path: out).floats() == got.floats())
    }

    @Test func forwardRefusesBadInput() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let bad = dir + "/bad.npy"
        try TestSupport.writeFile(bad, Array("\u{93}NUMPY\u{01}\u{00}".utf8))
        let r = try TestSupport.run(["forward", "--checkpoint", TestSupport.fixture("forward/micro_weights.safetensors"),
                                     "--input", bad])
        #expect(r.status == 2)
        #expect(r.stderr.contains("bad.npy"))
        // Logits are not an NCHW image batch.
        let r2 = try TestSupport.run(["forward", "--checkpoint", TestSupport.fixture("forward/micro_weights.safetensors"),
                                      "--input", TestSupport.fixture("forward/micro_logits_mindcv.npy")])
        #expect(r2.status == 2)
        #expect(r2.stderr.contains("NCHW"))
    }

    @Test func verifyTinyPassesWithJSON() throws {
        let r = try TestSupport.run(["verify", "--variant", "tiny", "--json",
                                     "--references", TestSupport.fixture("forward")])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let parity = try #require(json["parity"] as? [[String: Any]])
        let references = Set(parity.compactMap { $0["reference"] as? String })
        #expect(references.isSuperset(of: ["torchvision", "mindcv"]))
        #expect(parity.count >= 8)
        #expect(parity.allSatisfy { $0["passed"] as? Bool == true })
    }

    @Test func verifyFailsOnWrongReferences() throws {
        // Swap in another variant's logits under tiny's name: parity must fail with exit code 1.
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        for fw in ["torchvision", "mindcv"] {
            let src = try TestSupport.readFile(TestSupport.fixture("forward/small_logits_\(fw).npy"))
            try TestSupport.writeFile(dir + "/tiny_logits_\(fw).npy", src)
        }
        let r = try TestSupport.run(["verify", "--variant", "tiny", "--references", dir])
        #expect(r.status == 1)
        #expect(r.stdout.contains("FAIL"))
    }
}

@Suite struct VerifyCheckpointCLITests {
    @Test func userCheckpointRoundTripsAndRunsIdentically() throws {
        let r = try TestSupport.run(["verify", "--checkpoint", TestSupport.fixture("forward/micro_weights.safetensors"), "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let trips = try #require(json["round_trips"] as? [[String: Any]])
        #expect(trips.count >= 2)
        #expect(trips.allSatisfy { $0["bit_exact"] as? Bool == true })
        let parity = try #require(json["parity"] as? [[String: Any]])
        #expect(parity.allSatisfy { ($0["max_abs_diff"] as? Double) == 0 })
    }
}

/// `cnzoo verify --checkpoint` on the other areas' framework-written micro fixtures: every convention and dtype is
/// detected, widened, run, round-tripped bit-exactly and re-run identically.
@Suite struct VerifyFrameworkFixturesTests {
    @Test(arguments: [
        "pytorch/torchvision_micro_f32.pth", "pytorch/torchvision_micro_bf16.pth", "pytorch/torchvision_micro_f16.pth",
        "pytorch/timm_ema.pth", "pytorch/official_wrapped.pth", "mindspore/micro_mindcv_f32.ckpt",
        "mindspore/micro_mindcv_bf16.ckpt", "mindspore/micro_mindvision_f32.ckpt",
    ])
    func verifies(_ fixture: String) throws {
        let r = try TestSupport.run(["verify", "--checkpoint", TestSupport.fixture(fixture), "--json"])
        #expect(r.status == 0, "\(fixture): \(r.stderr)\(r.stdout.suffix(600))")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let trips = try #require(json["round_trips"] as? [[String: Any]])
        #expect(trips.count == 6)  // safetensors, then torchvision → mindcv → mindvision → keras → torchvision
        #expect(trips.allSatisfy { $0["bit_exact"] as? Bool == true })
    }

    @Test func wrongConventionIsAMappingError() throws {
        let r = try TestSupport.run(["forward", "--checkpoint", TestSupport.fixture("pytorch/torchvision_micro_f32.pth"),
                                     "--input", TestSupport.fixture("forward/micro_input.npy"), "--convention", "mindcv"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("mindcv"))
    }
}

/// The numerics follow the detected convention, and explicit options override them.
@Suite struct ForwardNumericsCLITests {
    func numerics(_ args: [String]) throws -> [String: Any] {
        let r = try TestSupport.run(["forward", "--input", TestSupport.fixture("forward/micro_input.npy"), "--json"] + args)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        return try #require(json["numerics"] as? [String: Any])
    }

    @Test func conventionPicksNumerics() throws {
        let tv = try numerics(["--checkpoint", TestSupport.fixture("pytorch/torchvision_micro_f32.pth")])
        #expect(tv["gelu"] as? String == "erf")
        let mcv = try numerics(["--checkpoint", TestSupport.fixture("mindspore/micro_mindcv_f32.ckpt")])
        #expect(mcv["gelu"] as? String == "tanh")
        #expect((mcv["head_norm_eps"] as? Double).map { abs($0 - 1e-6) < 1e-12 } == true)
        let mv = try numerics(["--checkpoint", TestSupport.fixture("mindspore/micro_mindvision_f32.ckpt")])
        #expect(mv["gelu"] as? String == "tanh")
        #expect((mv["head_norm_eps"] as? Double).map { abs($0 - 1e-7) < 1e-12 } == true)
        let forced = try numerics(["--checkpoint", TestSupport.fixture("mindspore/micro_mindvision_f32.ckpt"),
                                   "--gelu", "erf", "--ln-eps", "1e-5"])
        #expect(forced["gelu"] as? String == "erf")
        #expect((forced["head_norm_eps"] as? Double).map { abs($0 - 1e-5) < 1e-10 } == true)
    }
}
