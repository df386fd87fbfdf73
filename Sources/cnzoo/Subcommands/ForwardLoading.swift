import CNZooCore
import CNZooMapping
import CNZooModels
import CNZooVerify

/// A checkpoint read for the forward pass: canonical ConvNeXt weights and the numerics of its convention.
struct ForwardCheckpoint {
    let canonical: Checkpoint
    let spec: ConvNeXtSpec
    let convention: String
    let numerics: Numerics
    let format: String
}

enum ForwardLoading {
    /// Reads `path`, detects (or takes) its convention, maps it to canonical names and keeps the ConvNeXt weights.
    static func load(_ path: String, reading: ReadingOptions, convention: String?) throws -> ForwardCheckpoint {
        let loaded = try CanonicalLoader.load(path, reading: reading, from: convention, allowUnmapped: false,
                                              keepOptimizer: false)
        let (weights, spec) = try ForwardWeights.parameters(loaded.canonical, spec: loaded.detection.spec, file: path)
        return ForwardCheckpoint(canonical: weights, spec: spec, convention: loaded.detection.convention.name,
                                 numerics: ForwardWeights.numerics(loaded.detection.convention),
                                 format: loaded.format.rawValue)
    }
}
