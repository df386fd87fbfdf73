import CNZooCore
import CNZooImages

/// What `cnzoo verify --checkpoint FILE --images DIR` found, as printed in its table and `--json` output (every
/// field always present; unknown values are `null`).
public struct ImageVerifyReport: Codable, Sendable {
    public var checkpoint: String
    public var architecture: String
    /// Naming convention detected (or given), which also chose the forward numerics.
    public var convention: String
    public var numerics: String
    /// The zoo entry and source whose preprocessing and published accuracy are used (nil when none matched).
    @NullWhenAbsent public var zooId: String?
    @NullWhenAbsent public var publishedSource: String?
    /// The published ImageNet-1k top-1 of that source, in percent.
    @NullWhenAbsent public var publishedTop1: Double?
    @NullWhenAbsent public var publishedTop5: Double?
    /// Measured top-1 minus published top-1 (percentage points).
    @NullWhenAbsent public var top1Difference: Double?
    public var preprocessing: ImagePreprocessing
    /// One-line form of `preprocessing`.
    public var preprocessingSummary: String
    /// Fields the zoo source leaves unstated, filled with documented defaults, and command-line overrides.
    public var preprocessingAssumed: [String]
    public var dataset: String
    public var labelling: String
    public var images: Int
    public var top1: Double
    public var top5: Double
    public var unreadable: [ImageAccuracy.Unreadable]
    /// Threshold asked for with `--min-top1`, and whether the run met it.
    @NullWhenAbsent public var minTop1: Double?
    public var passed: Bool
    public var seconds: Double
    public var imagesPerSecond: Double
    public var decodeSeconds: Double
    public var forwardSeconds: Double
    public var predictions: [ImageAccuracy.Prediction]

    public init(checkpoint: String, architecture: String, convention: String, numerics: String, zooId: String?,
                publishedSource: String?, publishedTop1: Double?, publishedTop5: Double?,
                preprocessing: ImagePreprocessing, preprocessingAssumed: [String], dataset: String,
                result: ImageAccuracy.Result, labelling: String, minTop1: Double?, seconds: Double) {
        self.checkpoint = checkpoint
        self.architecture = architecture
        self.convention = convention
        self.numerics = numerics
        self.zooId = zooId
        self.publishedSource = publishedSource
        self.publishedTop1 = publishedTop1
        self.publishedTop5 = publishedTop5
        self.top1Difference = publishedTop1.map { result.top1 - $0 }
        self.preprocessing = preprocessing
        self.preprocessingSummary = preprocessing.summary
        self.preprocessingAssumed = preprocessingAssumed
        self.dataset = dataset
        self.labelling = labelling
        self.images = result.images
        self.top1 = result.top1
        self.top5 = result.top5
        self.unreadable = result.unreadable
        self.minTop1 = minTop1
        self.passed = minTop1.map { result.top1 >= $0 } ?? true
        self.seconds = seconds
        self.imagesPerSecond = seconds > 0 ? Double(result.images + result.unreadable.count) / seconds : 0
        self.decodeSeconds = result.decodeSeconds
        self.forwardSeconds = result.forwardSeconds
        self.predictions = result.predictions
    }
}
