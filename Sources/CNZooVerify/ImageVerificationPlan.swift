import CNZooCore
import CNZooImages
import CNZooMapping
import CNZooZoo

/// What `verify --images` compares against and how it prepares images: the zoo entry and source (explicit, or the
/// entry of the detected variant and the source of the checkpoint's convention), and that source's preprocessing with
/// gaps filled by documented defaults, then the user's overrides.
public struct ImageVerificationPlan: Sendable {
    /// The zoo entry (nil when no entry describes the architecture).
    public var entry: ZooEntry?
    /// The release whose preprocessing and published accuracy are used.
    public var source: ZooSource?
    /// The preprocessing to apply.
    public var preprocessing: ImagePreprocessing
    /// Fields the source leaves unstated (filled with defaults) and command-line overrides, in words.
    public var assumed: [String]

    /// The user's explicit choices.
    public struct Overrides: Sendable {
        public var zooID: String?
        public var source: String?
        public var resize: Int?
        public var crop: Int?
        public var interpolation: Resampler.Filter?

        public init(zooID: String? = nil, source: String? = nil, resize: Int? = nil, crop: Int? = nil,
                    interpolation: Resampler.Filter? = nil) {
            self.zooID = zooID
            self.source = source
            self.resize = resize
            self.crop = crop
            self.interpolation = interpolation
        }
    }

    /// The plan for a checkpoint of `spec` in `convention` with `numClasses` outputs, read from `file`.
    public static func make(spec: any ArchitectureSpec, convention: String, numClasses: Int, registry: () throws -> ZooRegistry,
                            overrides o: Overrides, file: String) throws -> ImageVerificationPlan {
        var entry: ZooEntry?
        if let id = o.zooID {
            entry = try registry().entry(id)
        } else if let name = ArchitectureFamilies.family(spec.family)?.variantName(spec) {
            let id = name + (numClasses == 21841 ? "_in22k" : "")
            entry = try? registry().entries.first { $0.id == id }
        }
        if let entry, entry.spec.parameters().map(\.shape) != spec.parameters().map(\.shape) {
            throw CNZooError(.usage, "zoo entry \(entry.id) describes a different model (\(entry.spec.summary))", file: file)
        }
        var zooSource: ZooSource?
        if let entry {
            if let s = o.source {
                guard let found = entry.sources.first(where: { $0.id == s }) else {
                    throw CNZooError(.notFound, "zoo entry \(entry.id) has no source '\(s)' (sources: "
                                     + entry.sources.map(\.id).joined(separator: ", ") + ")")
                }
                zooSource = found
            } else {
                zooSource = entry.sources.first { $0.convention == convention } ?? entry.sources.first
            }
        } else if o.source != nil {
            throw CNZooError(.usage, "--source needs a zoo entry (--zoo-id): this architecture has none")
        }

        // Preprocessing: the source's, gaps filled by documented defaults, then the overrides.
        var pre: ImagePreprocessing
        var assumed: [String]
        if let entry {
            (pre, assumed) = try ImageAccuracy.preprocessing(zooSource?.preprocessing, resolution: entry.resolution)
        } else {
            guard let crop = o.crop else {
                throw CNZooError(.usage, "no zoo entry describes this architecture (\(spec.summary)); pass --crop "
                                 + "(and --resize, --interpolation) or --zoo-id", file: file)
            }
            (pre, assumed) = try ImageAccuracy.preprocessing(ZooPreprocessing(crop: crop), resolution: crop)
            assumed = []
        }
        if o.resize != nil || o.crop != nil || o.interpolation != nil {
            pre = try ImagePreprocessing(resize: o.resize ?? (o.crop.map { Int((Double($0) / 0.875).rounded(.down)) } ?? pre.resize),
                                         resizeMode: o.crop != nil ? .shorterSide : pre.resizeMode,
                                         crop: o.crop ?? pre.crop, interpolation: o.interpolation ?? pre.interpolation,
                                         mean: pre.mean, std: pre.std)
            assumed.append("overridden on the command line: "
                           + [o.resize.map { "resize \($0)" }, o.crop.map { "crop \($0)" },
                              o.interpolation.map { "interpolation \($0.rawValue)" }].compactMap { $0 }.joined(separator: ", "))
        }
        return ImageVerificationPlan(entry: entry, source: zooSource, preprocessing: pre, assumed: assumed)
    }
}
