import CNZooCore
import CNZooMapping
import CNZooModels
import CNZooNumPy
import CNZooTestSupport
import CNZooVerify
import Foundation
import Testing

/// Any input size the model accepts runs, flooring as torch's strided convs do (`⌊(in − k) / s⌋ + 1`): logits at
/// sizes that are not multiples of the total stride, recorded from the REAL torchvision ConvNeXt and timm ConvMixer by
/// Fixtures/generate_forward_sizes.py (weights and inputs from the documented PRNG, rebuilt here).
@Suite struct InputSizeTests {
    static let convnext = ConvNeXtSpec(depths: [1, 1, 2, 1], dims: [8, 16, 32, 64], numClasses: 10)
    /// As `MicroForwardTests.tolerance`: float32 through a few blocks in another summation order.
    static let tolerance: Float = 1e-4

    static func reference(_ file: String) throws -> [Float] {
        try NumPyFormat.read(path: TestSupport.fixture("forward/\(file)")).floats()
    }

    static func maxDiff(_ a: [Float], _ b: [Float]) -> Float {
        a.count == b.count ? zip(a, b).map { abs($0 - $1) }.max() ?? 0 : .infinity
    }

    @Test(arguments: [(225, 225), (97, 130)])
    func convNeXtMatchesTorchvisionAtAnySize(height: Int, width: Int) throws {
        let model = try ConvNeXtModel(checkpoint: DeterministicWeights.checkpoint(Self.convnext, seed: 7),
                                      numerics: .pytorch)
        let x = DeterministicWeights.inputs(batch: 1, height: height, width: width, seed: 7)
        let logits = try model.forward(x, batch: 1, height: height, width: width)
        let torch = try Self.reference("micro_logits_torchvision_\(height)x\(width).npy")
        #expect(torch.count == 10)
        let diff = Self.maxDiff(logits, torch)
        #expect(diff < Self.tolerance, "\(height)×\(width): max abs diff vs torchvision \(diff)")
        #expect(LogitComparison.topK(logits[...], 5) == LogitComparison.topK(torch[...], 5))
    }

    @Test func convMixerMatchesTimmAtAnySize() throws {
        let spec = ConvMixerSpec(dim: 16, depth: 3, kernelSize: 5, patchSize: 4, numClasses: 10)
        let model = try ConvMixerModel(checkpoint: DeterministicWeights.checkpoint(spec, seed: 11), activation: .gelu,
                                       numerics: Numerics(gelu: .erf, batchNormEps: 1e-5, activation: .gelu))
        let x = DeterministicWeights.inputs(batch: 1, height: 35, width: 50, seed: 11)
        let logits = try model.forward(x, batch: 1, height: 35, width: 50)
        let timm = try Self.reference("convmixer_gelu_logits_timm_35x50.npy")
        let diff = Self.maxDiff(logits, timm)
        #expect(diff < Self.tolerance, "35×50: max abs diff vs timm \(diff)")
    }

    @Test func tooSmallInputsAreRefusedWithTheSmallestSize() throws {
        let model = try ConvNeXtModel(checkpoint: DeterministicWeights.checkpoint(Self.convnext, seed: 7),
                                      numerics: .pytorch)
        #expect(model.minimumInputSize == 32)
        // 32 leaves one position in the last stage; 31 leaves none.
        _ = try model.forward(DeterministicWeights.inputs(batch: 1, height: 32, width: 33, seed: 7), batch: 1,
                              height: 32, width: 33)
        let e = #expect(throws: CNZooError.self) {
            try model.forward([Float](repeating: 0, count: 3 * 31 * 64), batch: 1, height: 31, width: 64)
        }
        #expect(e?.message.contains("at least 32") == true, "\(String(describing: e))")
    }

    @Test func macsFloorPerSide() {
        // 225 → 56 → 28 → 14 → 7 positions per side, as at 224.
        #expect(Self.convnext.macs(height: 225, width: 225) == Self.convnext.macs(height: 224, width: 224))
        // 97×130 → 24×32, 12×16, 6×8, 3×4: no stage rounds the area instead of each side.
        let perSide = Self.convnext.macs(height: 96, width: 128)
        #expect(Self.convnext.macs(height: 97, width: 130) == perSide)
    }
}
