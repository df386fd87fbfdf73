import CNZooCore
import CNZooMapping
import CNZooModels
import CNZooNumPy
import CNZooSafeTensors
import CNZooTestSupport
import CNZooVerify
import Foundation
import Testing

/// The micro ConvNeXt (depths [1,1,2,1], dims [8,16,32,64], 10 classes, batch 2 of 64×96) from
/// Fixtures/generate_forward.py: weights from the documented PRNG (written by the safetensors package), logits from
/// real torchvision (erf GELU) and real mindcv (tanh GELU).
@Suite struct MicroForwardTests {
    static let config = ConvNeXtSpec(depths: [1, 1, 2, 1], dims: [8, 16, 32, 64], numClasses: 10)
    /// Tolerance on logits of magnitude ~1: float32 through ~6 blocks with different summation orders and
    /// different (but each ~1e-7-accurate) erf/exp approximations; measured differences are ~1e-6.
    static let tolerance: Float = 1e-4

    func load() throws -> (Checkpoint, [Float], [Float], [Float]) {
        let ckpt = try SafeTensors.read(path: TestSupport.fixture("forward/micro_weights.safetensors"))
        let input = try NumPyFormat.read(path: TestSupport.fixture("forward/micro_input.npy"))
        #expect(input.shape == [2, 3, 64, 96])
        let torch = try NumPyFormat.read(path: TestSupport.fixture("forward/micro_logits_torchvision.npy")).floats()
        let mindcv = try NumPyFormat.read(path: TestSupport.fixture("forward/micro_logits_mindcv.npy")).floats()
        return (ckpt, try input.floats(), torch, mindcv)
    }

    func argmax(_ row: ArraySlice<Float>) -> Int { row.indices.max { row[$0] < row[$1] }! - row.startIndex }

    func compare(_ got: [Float], _ want: [Float], classes: Int) -> (Float, Bool) {
        let diff = zip(got, want).map { abs($0 - $1) }.max() ?? .infinity
        var sameTop1 = true
        for r in 0..<(got.count / classes) {
            let range = (r * classes)..<((r + 1) * classes)
            if argmax(got[range]) != argmax(want[range]) { sameTop1 = false }
        }
        return (diff, sameTop1)
    }

    @Test func swiftPRNGReproducesTheGeneratorsWeights() throws {
        let (ckpt, input, _, _) = try load()
        let mine = DeterministicWeights.checkpoint(Self.config, seed: 7)
        #expect(mine.tensors.count == ckpt.tensors.count)
        for t in mine.tensors {
            let theirs = try #require(ckpt.tensor(named: t.name), "\(t.name) missing from the fixture")
            #expect(theirs.shape == t.shape)
            #expect(try theirs.data.readAll() == t.data.readAll(), "\(t.name) differs")
        }
        let x = DeterministicWeights.inputs(batch: 2, height: 64, width: 96, seed: 7)
        #expect(x == input)
    }

    @Test func firstValuesMatchPython() throws {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: TestSupport.fixture("forward/reference.json"))))
        let micro = try #require((json as? [String: Any])?["micro"] as? [String: Any])
        let first = try #require(micro["first_values"] as? [Double])
        var s = SplitMix64Stream(seed: 7)
        #expect(s.values(8).map(Double.init) == first)
    }

    @Test func erfForwardMatchesTorchvision() throws {
        let (ckpt, input, torch, _) = try load()
        let model = try ConvNeXtModel(checkpoint: ckpt, numerics: .pytorch)
        #expect(model.config == Self.config)
        let logits = try model.forward(input, batch: 2, height: 64, width: 96)
        let (diff, top1) = compare(logits, torch, classes: 10)
        #expect(diff < Self.tolerance, "max abs diff vs torchvision \(diff)")
        #expect(top1)
        // Running twice gives the same bytes (buffers are reused, nothing stale leaks in).
        #expect(try model.forward(input, batch: 2, height: 64, width: 96) == logits)
    }

    @Test func bothGemmEnginesMatchTorchvision() throws {
        let (ckpt, input, torch, _) = try load()
        for engine in [GemmEngine.openblas, .auto] {
            for fuse in [true, false] {
                let model = try ConvNeXtModel(checkpoint: ckpt, numerics: .pytorch, gemm: engine)
                model.fuseEpilogues = fuse
                let (diff, top1) = compare(try model.forward(input, batch: 2, height: 64, width: 96), torch, classes: 10)
                #expect(diff < Self.tolerance, "\(model.gemm) fused \(fuse): max abs diff \(diff)")
                #expect(top1)
            }
        }
    }

    /// Each kernel set this CPU runs (portable C, AVX2, AVX-512) reproduces torchvision, and the sets agree with
    /// each other.
    @Test func everyKernelSetMatchesTorchvision() throws {
        let (ckpt, input, torch, _) = try load()
        let model = try ConvNeXtModel(checkpoint: ckpt, numerics: .pytorch)
        var results: [[Float]] = []
        for isa in Kernels.supported {
            model.kernels = try #require(Kernels(isa: isa))
            let logits = try model.forward(input, batch: 2, height: 64, width: 96)
            let (diff, top1) = compare(logits, torch, classes: 10)
            #expect(diff < Self.tolerance, "\(isa): max abs diff vs torchvision \(diff)")
            #expect(top1)
            results.append(logits)
        }
        #expect(results.count >= 1)
        for r in results.dropFirst() { #expect(compare(r, results[0], classes: 10).0 < 1e-5) }
    }

    @Test func tanhForwardMatchesMindCV() throws {
        let (ckpt, input, torch, mindcv) = try load()
        let model = try ConvNeXtModel(checkpoint: ckpt, numerics: .mindcv)
        let logits = try model.forward(input, batch: 2, height: 64, width: 96)
        let (diff, top1) = compare(logits, mindcv, classes: 10)
        #expect(diff < Self.tolerance, "max abs diff vs mindcv \(diff)")
        #expect(top1)
        // The GELU form matters: tanh-mode logits sit measurably further from torchvision's than from mindcv's.
        let (crossDiff, _) = compare(logits, torch, classes: 10)
        #expect(crossDiff > diff)
    }

    @Test func singleImageBatchesAgreeWithTheBatch() throws {
        let (ckpt, input, _, _) = try load()
        let model = try ConvNeXtModel(checkpoint: ckpt, numerics: .pytorch, kernelThreads: 1)
        let both = try model.forward(input, batch: 2, height: 64, width: 96)
        let per = 3 * 64 * 96
        let second = try model.forward(Array(input[per...]), batch: 1, height: 64, width: 96)
        let diff = zip(both[10...], second).map { abs($0 - $1) }.max() ?? .infinity
        #expect(diff < 1e-5)
    }

    @Test func halfPrecisionWeightsAreWidened() throws {
        let (ckpt, input, _, _) = try load()
        // Narrow to bf16 (truncation of the low half) and back: the model must read bf16 directly and agree with
        // the f32 model on the same truncated values.
        var bf = ckpt
        var truncated = ckpt
        for i in bf.tensors.indices {
            let bytes = try ckpt.tensors[i].data.readAll()
            var half: [UInt8] = []
            var wide: [UInt8] = []
            for j in stride(from: 0, to: bytes.count, by: 4) {
                half += [bytes[j + 2], bytes[j + 3]]
                wide += [0, 0, bytes[j + 2], bytes[j + 3]]
            }
            bf.tensors[i] = TensorEntry(name: ckpt.tensors[i].name, dtype: .bf16, shape: ckpt.tensors[i].shape, data: .bytes(half))
            truncated.tensors[i].data = .bytes(wide)
        }
        let a = try ConvNeXtModel(checkpoint: bf, numerics: .pytorch).forward(input, batch: 2, height: 64, width: 96)
        let b = try ConvNeXtModel(checkpoint: truncated, numerics: .pytorch).forward(input, batch: 2, height: 64, width: 96)
        #expect(a == b)
    }

    @Test func badInputsAreRefused() throws {
        let (ckpt, input, _, _) = try load()
        let model = try ConvNeXtModel(checkpoint: ckpt, numerics: .pytorch)
        #expect(throws: CNZooError.self) { try model.forward(input, batch: 2, height: 48, width: 96) }
        #expect(throws: CNZooError.self) { try model.forward(Array(input.dropLast()), batch: 2, height: 64, width: 96) }
        var missing = ckpt
        missing.tensors.removeAll { $0.name == "stages.2.blocks.1.pwconv1.bias" }
        #expect(throws: CNZooError.self) { try ConvNeXtModel(checkpoint: missing, numerics: .pytorch) }
        // Zero-sized layers (hostile shapes) are refused, not run.
        var empty = ckpt
        for i in empty.tensors.indices where empty.tensors[i].name == "head.fc.weight" || empty.tensors[i].name == "head.fc.bias" {
            empty.tensors[i].shape[0] = 0
            empty.tensors[i].data = .bytes([])
        }
        #expect(throws: CNZooError.self) { try ConvNeXtModel(checkpoint: empty, numerics: .pytorch) }
        var stray = ckpt
        stray.tensors.append(TensorEntry(name: "features.0.0.weight", dtype: .f32, shape: [1], data: .bytes([0, 0, 0, 0])))
        #expect(throws: CNZooError.self) { try ConvNeXtModel(checkpoint: stray, numerics: .pytorch) }
    }
}
