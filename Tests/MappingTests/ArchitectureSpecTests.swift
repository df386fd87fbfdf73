import CNZooMapping
import Testing

@Suite struct ArchitectureSpecTests {
    /// Published parameter counts (torchvision weight metadata; timm probe for ConvMixer) against the computed ones.
    @Test(arguments: [("tiny", 28_589_128), ("small", 50_223_688), ("base", 88_591_464), ("large", 197_767_336)])
    func convnextParameterCounts(variant: String, expected: Int) throws {
        let spec = try #require(ConvNeXtSpec.variant(variant))
        #expect(spec.parameterCount == expected)
    }

    @Test func convnextTinyShape() throws {
        let spec = try #require(ConvNeXtSpec.variant("tiny"))
        #expect(spec.parameters().count == 182)
        // torchvision's _ops says 4.46 GFLOPS (MACs) for tiny at 224.
        #expect(abs(spec.gflops(resolution: 224) - 4.46) < 0.02)
        #expect(abs(ConvNeXtSpec.variant("base")!.gflops(resolution: 224) - 15.36) < 0.05)
    }

    @Test(arguments: [("768_32", 21_110_248), ("1024_20_ks9_p14", 24_383_464), ("1536_20", 51_625_960)])
    func convmixerParameterCounts(variant: String, expected: Int) throws {
        let spec = try #require(ConvMixerSpec.variants.first { $0.name == variant }?.spec)
        #expect(spec.parameterCount == expected)
    }
}
