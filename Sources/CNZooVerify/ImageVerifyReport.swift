import CNZooImages

/// What `cnzoo verify --checkpoint FILE --images DIR` found, as printed in its table and `--json` output.
public struct ImageVerifyReport: Codable, Sendable {
    public var checkpoint: String
    public var architecture: String
    /// Naming convention detected (or given), which also chose the forward numerics.
    public var convention: String
    public var numerics: String
    /// The zoo entry and source whose preprocessing and published accuracy are used (nil when none matched).
    public var zooId: String?
    public var publishedSource: String?
    /// The published ImageNet-1k top-1 of that source, in percent.
    public var publishedTop1: Double?
    public var publishedTop5: Double?
    /// Measured top-1 minus published top-1 (percentage points).
    public var top1Difference: Double?
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
    public var minTop1: Double?
    public var passed: Bool
    public var seconds: Double
    public var imagesPerSecond: Double
    public var decodeSeconds: Double
    public var forwardSeconds: Double
    public var predictions: [ImageAccuracy.Prediction]

    enum CodingKeys: String, CodingKey {
        case checkpoint, architecture, convention, numerics, preprocessing, dataset, labelling, images, top1, top5
        case unreadable, passed, seconds, predictions
        case zooId = "zoo_id", publishedSource = "published_source", publishedTop1 = "published_top1"
        case publishedTop5 = "published_top5", top1Difference = "top1_difference"
        case preprocessingSummary = "preprocessing_summary", preprocessingAssumed = "preprocessing_assumed"
        case minTop1 = "min_top1", imagesPerSecond = "images_per_second"
        case decodeSeconds = "decode_seconds", forwardSeconds = "forward_seconds"
    }

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

    /// Every key is always present; unknown values (no zoo entry, no threshold) are `null`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(checkpoint, forKey: .checkpoint)
        try c.encode(architecture, forKey: .architecture)
        try c.encode(convention, forKey: .convention)
        try c.encode(numerics, forKey: .numerics)
        try c.encode(zooId, forKey: .zooId)
        try c.encode(publishedSource, forKey: .publishedSource)
        try c.encode(publishedTop1, forKey: .publishedTop1)
        try c.encode(publishedTop5, forKey: .publishedTop5)
        try c.encode(top1Difference, forKey: .top1Difference)
        try c.encode(preprocessing, forKey: .preprocessing)
        try c.encode(preprocessingSummary, forKey: .preprocessingSummary)
        try c.encode(preprocessingAssumed, forKey: .preprocessingAssumed)
        try c.encode(dataset, forKey: .dataset)
        try c.encode(labelling, forKey: .labelling)
        try c.encode(images, forKey: .images)
        try c.encode(top1, forKey: .top1)
        try c.encode(top5, forKey: .top5)
        try c.encode(unreadable, forKey: .unreadable)
        try c.encode(minTop1, forKey: .minTop1)
        try c.encode(passed, forKey: .passed)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(imagesPerSecond, forKey: .imagesPerSecond)
        try c.encode(decodeSeconds, forKey: .decodeSeconds)
        try c.encode(forwardSeconds, forKey: .forwardSeconds)
        try c.encode(predictions, forKey: .predictions)
    }
}
