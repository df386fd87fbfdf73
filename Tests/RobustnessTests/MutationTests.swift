import CNZooCore
import CNZooFormats
import CNZooFuzzHarnesses
import CNZooNumPy
import CNZooTestSupport
import Testing

/// Every format, one systematic pass: each small fixture truncated at every byte offset, and 1,000+ random bit-flip
/// mutants of it, go through the one entry point every command uses (`CheckpointIO.read`, or `NumPyFormat.read` for
/// `.npy`) and then every tensor byte is read (`Harnesses.touchAll`, which also traps if a reader hands out a byte
/// count different from what it declared). Passing means: no crash, no hang (time-limited), and a refusal is always a
/// `CNZooError`.
@Suite(.serialized) struct MutationTests {
    /// The small fixtures, one or more per format.
    static let fixtures: [(format: String, path: String)] = [
        ("pth", "pytorch/tiny.pth"), ("pth", "pytorch/legacy.pth"), ("pth", "pytorch/evil_reduce.pkl"),
        ("ckpt", "mindspore/dtypes.ckpt"),
        ("safetensors", "safetensors/dtypes.safetensors"), ("safetensors", "safetensors/edge_shapes.safetensors"),
        ("npy", "forward/micro_logits_torchvision.npy"),
    ]

    /// `read` counts tensors plus extras (non-tensor records).
    enum Outcome: Equatable { case read(tensors: Int), refused }

    /// Reads `bytes` as the format says and touches every tensor byte. Any non-CNZooError error is a test failure.
    static func read(_ bytes: [UInt8], format: String) -> Outcome {
        do {
            if format == "npy" {
                let a = try NumPyFormat.read(bytes: bytes)
                Harnesses.touchAll(Checkpoint(tensors: [TensorEntry(name: "a", dtype: a.dtype, shape: a.shape, data: a.data)]))
                return .read(tensors: 1)
            }
            let file = bytes.withUnsafeBytes { MappedFile(copying: $0, path: "<mutant>") }
            let (ckpt, _) = try CheckpointIO.read(file: file)
            Harnesses.touchAll(ckpt)
            return .read(tensors: ckpt.tensors.count + ckpt.extras.count)
        } catch is CNZooError {
            return .refused
        } catch {
            Issue.record("\(format): a non-CNZooError escaped: \(error)")
            return .refused
        }
    }

    @Test(.timeLimit(.minutes(3))) func truncationAtEveryOffset() throws {
        for (format, relative) in Self.fixtures {
            let bytes = try TestSupport.readFile(TestSupport.fixture(relative))
            #expect(bytes.count < 8 << 10, "\(relative) is too big for an every-offset sweep")
            let full = Self.read(bytes, format: format)
            var accepted: [Int] = []
            for n in 0..<bytes.count {
                if case let .read(tensors) = Self.read(Array(bytes[..<n]), format: format) {
                    accepted.append(n)
                    // A MindSpore stream cut at a record boundary is a valid shorter stream (the format has no
                    // length or count; only the optional CRC trailer would notice): it must have lost whole
                    // tensors, never hold a partial one. No other format may accept a truncated file.
                    if format == "ckpt", case let .read(all) = full {
                        #expect(tensors < all, "\(relative) cut at \(n) still has all \(all) records")
                    } else if format != "pth" || !relative.hasSuffix(".pkl") {
                        Issue.record("\(relative) truncated to \(n) of \(bytes.count) bytes was read")
                    }
                }
            }
            if format == "ckpt" { print("\(relative): \(accepted.count) of \(bytes.count) prefixes are whole-record streams") }
        }
    }

    @Test(.timeLimit(.minutes(3))) func thousandBitFlipMutantsPerFormat() throws {
        var rng = SplitMix64(state: 0x636E_7A6F_6F21)  // a fixed seed: every run tests the same mutants
        var perFormat: [String: (mutants: Int, refused: Int)] = [:]
        let byFormat = Dictionary(grouping: Self.fixtures, by: \.format)
        for (format, entries) in byFormat.sorted(by: { $0.key < $1.key }) {
            let originals = try entries.map { try TestSupport.readFile(TestSupport.fixture($0.path)) }
            var refused = 0
            let mutants = 1_200
            for i in 0..<mutants {
                var b = originals[i % originals.count]
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let bit = Int.random(in: 0..<(b.count * 8), using: &rng)
                    b[bit / 8] ^= UInt8(1 << (bit % 8))
                }
                if Self.read(b, format: format) == .refused { refused += 1 }
            }
            perFormat[format] = (mutants, refused)
        }
        for (format, r) in perFormat.sorted(by: { $0.key < $1.key }) {
            print("\(format): \(r.mutants) bit-flip mutants, \(r.refused) refused, \(r.mutants - r.refused) read")
            #expect(r.mutants >= 1_000)
        }
        #expect(Set(perFormat.keys) == ["pth", "ckpt", "safetensors", "npy"])
    }
}
