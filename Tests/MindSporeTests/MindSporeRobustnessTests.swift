import CNZooCore
@testable import CNZooMindSpore
import CNZooTestSupport
import Testing

/// Damaged input never crashes or hangs: every outcome is either a checkpoint or a `CNZooError`.
@Suite struct MindSporeRobustnessTests {
    /// Parses `bytes` in memory and, when that succeeds, touches every tensor byte range and checks it is inside.
    private func exercise(_ bytes: [UInt8], verifyCRC: Bool) -> Result<CheckpointStream, CNZooError>? {
        bytes.withUnsafeBytes { buf in
            do {
                let s = try CheckpointStream.parse(buf, path: "mutant", verifyCRC: verifyCRC)
                for p in s.parameters {
                    var total = 0
                    for r in p.chunks {
                        #expect(r.lowerBound >= 0 && r.upperBound <= buf.count)
                        total += r.count
                    }
                    #expect(total == p.byteCount)
                    #expect(Checked.byteCount(p.shape, p.dtype) == total)
                }
                return .success(s)
            } catch let e as CNZooError {
                return .failure(e)
            } catch {
                Issue.record("non-CNZooError thrown: \(error)")
                return nil
            }
        }
    }

    @Test(arguments: ["dtypes.ckpt", "sliced.ckpt"])
    func everyTruncationFailsCleanly(_ name: String) throws {
        let bytes = try TestSupport.readFile(MindSporeFixtures.path(name))
        let full = try #require(try exercise(bytes, verifyCRC: true)?.get())
        let step = bytes.count > 10_000 ? 7 : 1  // sliced.ckpt is 80 KB: every 7th offset keeps the test quick
        for n in stride(from: 0, to: bytes.count, by: step) {
            switch exercise(Array(bytes[0..<n]), verifyCRC: true) {
            case let .success(s):
                // Cutting exactly at a record boundary leaves a shorter valid stream, never a longer one.
                #expect(s.parameters.count + s.extras.count <= full.parameters.count + full.extras.count)
            case let .failure(e):
                #expect(e.offset != nil || e.code == .integrity, "no offset for cut at \(n): \(e)")
            case nil:
                break
            }
        }
    }

    @Test(arguments: ["dtypes.ckpt", "micro_mindcv_bf16.ckpt", "sliced.ckpt"])
    func bitFlipsNeverCrash(_ name: String) throws {
        let bytes = try TestSupport.readFile(MindSporeFixtures.path(name))
        var rng = SplitMix64(seed: 0x5EED_0000 &+ UInt64(bytes.count))
        var failures = 0
        for _ in 0..<400 {
            var m = bytes
            for _ in 0..<Int(1 + rng.next() % 3) {
                let i = Int(rng.next() % UInt64(m.count))
                m[i] ^= UInt8(1 << (rng.next() % 8))
            }
            // Skip CRC verification so mutants reach the parser instead of stopping at the checksum.
            if case .failure = exercise(m, verifyCRC: false) { failures += 1 }
        }
        #expect(failures > 0)  // some flips hit lengths and keys; they must be reported, not crash
    }
}

/// A tiny deterministic PRNG (SplitMix64) so mutants are the same on every run.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
