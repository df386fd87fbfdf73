import CNZooCore
import CNZooMapping

/// ConvNeXt's entry in `ForwardModels`.
public struct ConvNeXtForward: ForwardModelFactory {
    public init() {}
    public var family: Family { .convnext }

    public func make(weights: Checkpoint, spec: any ArchitectureSpec, numerics: Numerics,
                     options: ForwardOptions) throws -> any ForwardModel {
        if let c = spec as? ConvNeXtSpec, c.isHeadless { throw ForwardModels.headlessRefusal(c) }
        return try ConvNeXtModel(checkpoint: weights, numerics: numerics, kernelThreads: options.threads, gemm: options.gemm)
    }
}

extension ConvNeXtModel: ForwardModel {
    public var architecture: any ArchitectureSpec { config }
    public var numClasses: Int { config.numClasses }
    public var inputChannels: Int { config.inChannels }
    public var minimumInputSize: Int { config.minimumInputSize }
    public var gemmEngine: GemmEngine { gemm }
    public func macs(height: Int, width: Int) -> Int { config.macs(height: height, width: width) }
}
