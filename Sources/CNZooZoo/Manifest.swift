import CNZooCore
import CNZooMapping

/// One `Zoo/<family>.json` file: a versioned list of entries of one model family.
///
/// Field names in the file are snake_case; `Zoo/schema.json` (JSON Schema draft 2020-12) describes them for other
/// tools, and `docs/zoo.md` explains them.
public struct ZooManifest: Codable, Sendable {
    /// The manifest format version (see `ManifestVersion`).
    public var version: Int
    /// The model family every entry belongs to (`convnext`, `convmixer`).
    public var family: String
    /// A human description of the file.
    public var description: String?
    /// The entries, in display order.
    public var entries: [ZooEntry]

    public init(version: Int = ManifestVersion.highestSupported, family: String, description: String? = nil,
                entries: [ZooEntry]) {
        self.version = version
        self.family = family
        self.description = description
        self.entries = entries
    }
}

/// One architecture at one input resolution with one classifier head, and every published checkpoint of it.
///
/// Ids are `<family>_<size>` for the 224×224 ImageNet-1k-head model (`convnext_tiny`), with `_384` for 384×384
/// fine-tunes and `_in22k` for ImageNet-22k heads (21841 classes); ConvMixer ids are timm's (`convmixer_1536_20`).
public struct ZooEntry: Codable, Sendable {
    /// The stable id (`convnext_tiny`, `convnext_base_384`, `convnext_large_in22k`).
    public var id: String
    /// The family (`convnext`, `convmixer`); decides how `architecture` is read.
    public var family: String
    /// A display name (`ConvNeXt-T`).
    public var title: String
    /// The input resolution (square) the released weights are evaluated at.
    public var resolution: Int
    /// Everything the forward pass needs to build the network.
    public var architecture: ZooArchitecture
    /// Learnable parameters, computed from the architecture spec (tests check it).
    public var parameters: Int
    /// Multiply-accumulates of one forward pass at `resolution`, computed from the spec (tests check it).
    public var macs: Int
    /// `macs / 1e9` rounded to two decimals (the "GFLOPs" papers and torchvision report).
    public var gflops: Double
    /// What cnzoo can do with this entry today.
    public var supported: ZooSupport
    /// Free-form remarks.
    public var notes: [String]?
    /// The published checkpoints, one per release.
    public var sources: [ZooSource]

    enum CodingKeys: String, CodingKey {
        case id, family, title, resolution, architecture, parameters, macs, gflops, supported, notes, sources
    }

    public init(id: String, family: String, title: String, resolution: Int, architecture: ZooArchitecture,
                parameters: Int, macs: Int, gflops: Double, supported: ZooSupport, notes: [String]? = nil,
                sources: [ZooSource]) {
        self.id = id
        self.family = family
        self.title = title
        self.resolution = resolution
        self.architecture = architecture
        self.parameters = parameters
        self.macs = macs
        self.gflops = gflops
        self.supported = supported
        self.notes = notes
        self.sources = sources
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        family = try c.decode(String.self, forKey: .family)
        title = try c.decode(String.self, forKey: .title)
        resolution = try c.decode(Int.self, forKey: .resolution)
        switch family {
        case "convnext": architecture = .convnext(try c.decode(ConvNeXtConfig.self, forKey: .architecture))
        case "convmixer": architecture = .convmixer(try c.decode(ConvMixerConfig.self, forKey: .architecture))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .family, in: c, debugDescription: "unknown family '\(family)' (known: convnext, convmixer)")
        }
        parameters = try c.decode(Int.self, forKey: .parameters)
        macs = try c.decode(Int.self, forKey: .macs)
        gflops = try c.decode(Double.self, forKey: .gflops)
        supported = try c.decode(ZooSupport.self, forKey: .supported)
        notes = try c.decodeIfPresent([String].self, forKey: .notes)
        sources = try c.decode([ZooSource].self, forKey: .sources)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(family, forKey: .family)
        try c.encode(title, forKey: .title)
        try c.encode(resolution, forKey: .resolution)
        switch architecture {
        case .convnext(let a): try c.encode(a, forKey: .architecture)
        case .convmixer(let a): try c.encode(a, forKey: .architecture)
        }
        try c.encode(parameters, forKey: .parameters)
        try c.encode(macs, forKey: .macs)
        try c.encode(gflops, forKey: .gflops)
        try c.encode(supported, forKey: .supported)
        try c.encode(notes ?? [], forKey: .notes)
        try c.encode(sources, forKey: .sources)
    }

    /// The architecture spec (canonical parameter list and costs).
    public var spec: any ArchitectureSpec { architecture.spec }

    /// The best published top-1 over all sources, with the source that published it.
    public var bestTop1: (top1: Double, source: ZooSource)? {
        var best: (top1: Double, source: ZooSource)?
        for s in sources {
            guard let t = s.accuracy?.top1 else { continue }
            if t > best?.top1 ?? -1 { best = (t, s) }
        }
        return best
    }
}

/// The architecture of an entry, by family.
public enum ZooArchitecture: Sendable, Equatable {
    case convnext(ConvNeXtConfig)
    case convmixer(ConvMixerConfig)

    /// The architecture spec it describes.
    public var spec: any ArchitectureSpec {
        switch self {
        case .convnext(let c): return c.spec
        case .convmixer(let c): return c.spec
        }
    }

    /// Classifier outputs.
    public var numClasses: Int {
        switch self {
        case .convnext(let c): return c.numClasses
        case .convmixer(let c): return c.numClasses
        }
    }
}

/// A ConvNeXt configuration as stored in a manifest.
public struct ConvNeXtConfig: Codable, Sendable, Equatable {
    public var depths: [Int]
    public var dims: [Int]
    public var kernelSize: Int
    public var patchSize: Int
    /// Whether blocks carry a layer-scale vector.
    public var layerScale: Bool
    public var numClasses: Int
    public var inChannels: Int

    enum CodingKeys: String, CodingKey {
        case depths, dims
        case kernelSize = "kernel_size", patchSize = "patch_size", layerScale = "layer_scale"
        case numClasses = "num_classes", inChannels = "in_channels"
    }

    public init(_ spec: ConvNeXtSpec) {
        depths = spec.depths
        dims = spec.dims
        kernelSize = spec.kernelSize
        patchSize = spec.patchSize
        layerScale = spec.layerScale
        numClasses = spec.numClasses
        inChannels = spec.inChannels
    }

    /// The spec this configuration describes.
    public var spec: ConvNeXtSpec {
        ConvNeXtSpec(depths: depths, dims: dims, kernelSize: kernelSize, patchSize: patchSize, layerScale: layerScale,
                     numClasses: numClasses, inChannels: inChannels)
    }
}

/// A ConvMixer configuration as stored in a manifest.
public struct ConvMixerConfig: Codable, Sendable, Equatable {
    public var dim: Int
    public var depth: Int
    public var kernelSize: Int
    public var patchSize: Int
    /// `gelu` or `relu` (the activation vocabulary).
    public var activation: Activation
    public var numClasses: Int
    public var inChannels: Int

    enum CodingKeys: String, CodingKey {
        case dim, depth, activation
        case kernelSize = "kernel_size", patchSize = "patch_size"
        case numClasses = "num_classes", inChannels = "in_channels"
    }

    public init(_ spec: ConvMixerSpec) {
        dim = spec.dim
        depth = spec.depth
        kernelSize = spec.kernelSize
        patchSize = spec.patchSize
        activation = spec.activation
        numClasses = spec.numClasses
        inChannels = spec.inChannels
    }

    /// The spec this configuration describes.
    public var spec: ConvMixerSpec {
        ConvMixerSpec(dim: dim, depth: depth, kernelSize: kernelSize, patchSize: patchSize, activation: activation,
                      numClasses: numClasses, inChannels: inChannels)
    }
}

/// What cnzoo can do with an entry's checkpoints.
public struct ZooSupport: Codable, Sendable, Equatable {
    /// `cnzoo convert` maps this architecture between conventions.
    public var convert: Bool
    /// `cnzoo verify` runs its forward pass.
    public var verify: Bool

    public init(convert: Bool, verify: Bool) {
        self.convert = convert
        self.verify = verify
    }
}

/// A model folder on the Hugging Face Hub: a repository at a revision, and the files that make the folder.
public struct ZooHubFolder: Codable, Sendable, Equatable {
    /// One file of the folder, with its sha256 where the Hub publishes it (the LFS object id of a weight file).
    public struct File: Codable, Sendable, Equatable {
        public var name: String
        public var sha256: String?

        public init(name: String, sha256: String? = nil) {
            self.name = name
            self.sha256 = sha256
        }

        /// What a download of this file can be checked against.
        public var hashExpectation: HashExpectation { sha256.map { .full($0) } ?? .none }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(sha256, forKey: .sha256)
        }
    }

    /// `owner/name` (`facebook/convnext-tiny-224`).
    public var repo: String
    /// A branch, tag or commit (`main`).
    public var revision: String
    public var files: [File]
    /// The Hub's address (`https://huggingface.co` when absent; a mirror or a test server otherwise).
    public var endpoint: String?

    public init(repo: String, revision: String, files: [File], endpoint: String? = nil) {
        self.repo = repo
        self.revision = revision
        self.files = files
        self.endpoint = endpoint
    }

    /// The download address of `file` (the Hub's `resolve` route).
    public func url(of file: String) -> String {
        "\(endpoint ?? "https://huggingface.co")/\(repo)/resolve/\(revision)/\(file)"
    }
}

/// One published checkpoint file of an entry.
public struct ZooSource: Codable, Sendable {
    /// Unique within its entry (`torchvision`, `official-in1k`, `mindvision`); `fetch --source` takes it.
    public var id: String
    /// `pytorch`, `mindspore` or `keras` (the framework vocabulary).
    public var framework: String
    /// The parameter naming the file uses (`torchvision`, `official`, `timm`, `mindcv`, `mindvision`, `keras`, …:
    /// the convention vocabulary), nil when not known.
    public var convention: String?
    /// Where to download it; nil when the release names no download link.
    public var url: String?
    /// The file name in the cache (the last URL component).
    public var fileName: String?
    /// Exact size in bytes, when known.
    public var sizeBytes: Int?
    /// The size the publisher states, in its (decimal or binary, unstated) megabytes.
    public var sizeMBPublished: Double?
    /// The full SHA-256 of the file, only when it can be cited or was computed from the file.
    public var sha256: String?
    /// The SHA-256 prefix the release uses (torchvision puts the first 8 hex digits in the file name).
    public var sha256Prefix: String?
    /// The top-level key the state dict is wrapped in (`model` for the official releases), nil for a bare state dict.
    public var stateDictKey: String?
    /// `in1k`, `in22k` (21841-class head) or `in22k-ft-in1k`.
    public var dataset: String
    /// The published accuracy.
    public var accuracy: ZooAccuracy?
    /// The license of the publishing repository (the weights may carry other terms).
    public var license: String?
    /// How the publisher evaluates (and so how inputs must be prepared).
    public var preprocessing: ZooPreprocessing?
    /// Other names of this checkpoint (timm pretrained tags, publisher's model names).
    public var aliases: [String]?
    /// Free-form remarks (what is unverified, for instance).
    public var notes: [String]?
    /// A Hugging Face Hub model folder (`config.json` + weights): `url` is the repository page, `file_name` the cache
    /// folder, and `fetch` downloads each of its files.
    public var huggingface: ZooHubFolder?

    enum CodingKeys: String, CodingKey {
        case id, framework, convention, url, sha256, dataset, accuracy, license, preprocessing, aliases, notes, huggingface
        case fileName = "file_name", sizeBytes = "size_bytes", sizeMBPublished = "size_mb_published"
        case sha256Prefix = "sha256_prefix", stateDictKey = "state_dict_key"
    }

    public init(id: String, framework: String, convention: String?, url: String?, fileName: String?,
                sizeBytes: Int? = nil, sizeMBPublished: Double? = nil, sha256: String? = nil,
                sha256Prefix: String? = nil, stateDictKey: String? = nil, dataset: String,
                accuracy: ZooAccuracy? = nil, license: String? = nil, preprocessing: ZooPreprocessing? = nil,
                aliases: [String]? = nil, notes: [String]? = nil, huggingface: ZooHubFolder? = nil) {
        self.id = id
        self.framework = framework
        self.convention = convention
        self.url = url
        self.fileName = fileName
        self.sizeBytes = sizeBytes
        self.sizeMBPublished = sizeMBPublished
        self.sha256 = sha256
        self.sha256Prefix = sha256Prefix
        self.stateDictKey = stateDictKey
        self.dataset = dataset
        self.accuracy = accuracy
        self.license = license
        self.preprocessing = preprocessing
        self.aliases = aliases
        self.notes = notes
        self.huggingface = huggingface
    }

    /// Unknown values are written as `null`, so every key is always present in `--json` output.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(framework, forKey: .framework)
        try c.encode(convention, forKey: .convention)
        try c.encode(url, forKey: .url)
        try c.encode(fileName, forKey: .fileName)
        try c.encode(sizeBytes, forKey: .sizeBytes)
        try c.encode(sizeMBPublished, forKey: .sizeMBPublished)
        try c.encode(sha256, forKey: .sha256)
        try c.encode(sha256Prefix, forKey: .sha256Prefix)
        try c.encode(stateDictKey, forKey: .stateDictKey)
        try c.encode(dataset, forKey: .dataset)
        try c.encode(accuracy, forKey: .accuracy)
        try c.encode(license, forKey: .license)
        try c.encode(preprocessing, forKey: .preprocessing)
        try c.encode(aliases ?? [], forKey: .aliases)
        try c.encode(notes ?? [], forKey: .notes)
        try c.encode(huggingface, forKey: .huggingface)
    }

    /// What a download of this source can be checked against.
    public var hashExpectation: HashExpectation {
        if let sha256 { return .full(sha256) }
        if let sha256Prefix { return .prefix(sha256Prefix) }
        return .none
    }
}

/// A published accuracy and where it was published.
public struct ZooAccuracy: Codable, Sendable, Equatable {
    /// ImageNet-1k top-1 in percent (nil when only top-5 is published).
    public var top1: Double?
    /// ImageNet-1k top-5 in percent, when published.
    public var top5: Double?
    /// Where the numbers were published (document and table).
    public var publishedIn: String

    enum CodingKeys: String, CodingKey {
        case top1, top5
        case publishedIn = "published_in"
    }

    public init(top1: Double?, top5: Double?, publishedIn: String) {
        self.top1 = top1
        self.top5 = top5
        self.publishedIn = publishedIn
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(top1, forKey: .top1)
        try c.encode(top5, forKey: .top5)
        try c.encode(publishedIn, forKey: .publishedIn)
    }
}

/// The evaluation transform a publisher uses. Unknown fields are nil (never guessed).
public struct ZooPreprocessing: Codable, Sendable, Equatable {
    /// Resize target in pixels (the shorter side, or both sides when `resizeMode` is `warp`).
    public var resize: Int?
    /// `shorter-side` (keep aspect, then crop) or `warp` (resize both sides, no crop).
    public var resizeMode: String?
    /// Center-crop size.
    public var crop: Int?
    /// crop / resize, as the publisher states it.
    public var cropPct: Double?
    /// `bilinear` or `bicubic`.
    public var interpolation: String?
    /// Per-channel mean on 0–1 inputs (RGB).
    public var mean: [Double]?
    /// Per-channel standard deviation on 0–1 inputs (RGB).
    public var std: [Double]?
    /// True when the publisher's model applies `mean`/`std` itself and takes 0–255 pixels (Keras applications);
    /// cnzoo's forward pass applies the same normalization outside the model. Nil when not stated.
    public var normalizationInModel: Bool?

    enum CodingKeys: String, CodingKey {
        case resize, crop, interpolation, mean, std
        case resizeMode = "resize_mode", cropPct = "crop_pct", normalizationInModel = "normalization_in_model"
    }

    public init(resize: Int? = nil, resizeMode: String? = nil, crop: Int? = nil, cropPct: Double? = nil,
                interpolation: String? = nil, mean: [Double]? = nil, std: [Double]? = nil,
                normalizationInModel: Bool? = nil) {
        self.resize = resize
        self.resizeMode = resizeMode
        self.crop = crop
        self.cropPct = cropPct
        self.interpolation = interpolation
        self.mean = mean
        self.std = std
        self.normalizationInModel = normalizationInModel
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(resize, forKey: .resize)
        try c.encode(resizeMode, forKey: .resizeMode)
        try c.encode(crop, forKey: .crop)
        try c.encode(cropPct, forKey: .cropPct)
        try c.encode(interpolation, forKey: .interpolation)
        try c.encode(mean, forKey: .mean)
        try c.encode(std, forKey: .std)
        try c.encode(normalizationInModel, forKey: .normalizationInModel)
    }
}

/// What a downloaded file is checked against.
public enum HashExpectation: Sendable, Equatable {
    /// The full SHA-256 (64 lowercase hex digits).
    case full(String)
    /// A leading part of the SHA-256 (what torchvision's file names carry).
    case prefix(String)
    /// Nothing is published.
    case none

    /// Whether `digest` (lowercase hex) satisfies the expectation.
    public func isSatisfied(by digest: String) -> Bool {
        switch self {
        case .full(let h): return digest == h.lowercased()
        case .prefix(let p): return digest.hasPrefix(p.lowercased())
        case .none: return true
        }
    }

    /// A description for messages (`sha256 983f1562… (prefix)`).
    public var description: String {
        switch self {
        case .full(let h): return h
        case .prefix(let p): return "\(p)… (published prefix)"
        case .none: return "none published"
        }
    }
}
