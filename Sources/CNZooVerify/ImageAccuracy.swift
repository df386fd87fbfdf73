import CNZooCore
import CNZooMapping
import CNZooImages
import CNZooModels
import CNZooZoo

/// Top-1 / top-5 accuracy of a ConvNeXt on labelled images (`cnzoo verify --images`).
public enum ImageAccuracy {
    /// An image that could not be decoded or preprocessed; it is skipped and reported, not scored.
    public struct Unreadable: Codable, Sendable, Equatable {
        public var path: String
        public var error: String
    }

    /// What a run measured.
    public struct Result: Codable, Sendable {
        /// Images scored (decoded and run).
        public var images: Int
        /// Percent of scored images whose label is the top-1 prediction.
        public var top1: Double
        /// Percent of scored images whose label is among the top-5 predictions (top-k with k = min(5, classes)).
        public var top5: Double
        public var top1Correct: Int
        public var top5Correct: Int
        /// Images skipped because they could not be decoded or preprocessed.
        public var unreadable: [Unreadable]
        /// Per scored image: path, label and the predicted top-1.
        public var predictions: [Prediction]
        /// Seconds spent in decoding + preprocessing, and in the forward pass.
        public var decodeSeconds: Double
        public var forwardSeconds: Double

        enum CodingKeys: String, CodingKey {
            case images, top1, top5, unreadable, predictions
            case top1Correct = "top1_correct", top5Correct = "top5_correct"
            case decodeSeconds = "decode_seconds", forwardSeconds = "forward_seconds"
        }
    }

    /// One scored image.
    public struct Prediction: Codable, Sendable, Equatable {
        public var path: String
        public var label: Int
        public var top1: Int
    }

    /// Runs every image of `dataset` through `preprocessing` and `model` in batches of `batchSize`, calling
    /// `progress(done, total)` after each batch. Labels outside the model's classes are a usage error (before any
    /// work). Throws if no image at all could be read.
    public static func run(model: any ForwardModel, dataset: ImageDataset, preprocessing: ImagePreprocessing,
                           batchSize: Int = 8, progress: (Int, Int) -> Void = { _, _ in }) throws -> Result {
        let classes = model.numClasses
        if let bad = dataset.items.first(where: { $0.label >= classes }) {
            throw CNZooError(.usage, "label \(bad.label) is outside the model's \(classes) classes", file: bad.path)
        }
        let (h, w) = preprocessing.outputSize
        let smallest = model.minimumInputSize
        guard h >= smallest, w >= smallest else {
            throw CNZooError(.usage, "preprocessing gives \(h)×\(w) inputs; the model needs sides of at least \(smallest)")
        }
        let plane = 3 * h * w
        let k = min(5, classes)
        let batch = max(1, batchSize)
        var input = [Float](repeating: 0, count: batch * plane)
        var result = Result(images: 0, top1: 0, top5: 0, top1Correct: 0, top5Correct: 0, unreadable: [],
                            predictions: [], decodeSeconds: 0, forwardSeconds: 0)
        let clock = ContinuousClock()
        func seconds(_ d: Duration) -> Double {
            Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        var start = 0
        while start < dataset.items.count {
            let chunk = dataset.items[start..<min(start + batch, dataset.items.count)]
            var filled: [ImageDataset.Item] = []
            let t0 = clock.now
            for item in chunk {
                do {
                    let image = try ImageDecoder.decode(path: item.path)
                    let offset = filled.count * plane
                    try input.withUnsafeMutableBufferPointer { buf in
                        try preprocessing.apply(image, into: UnsafeMutableBufferPointer(rebasing: buf[offset..<(offset + plane)]))
                    }
                    filled.append(item)
                } catch let e as CNZooError {
                    result.unreadable.append(Unreadable(path: item.path, error: e.message))
                }
            }
            let t1 = clock.now
            result.decodeSeconds += seconds(t1 - t0)
            if !filled.isEmpty {
                let logits = try model.forward(Array(input[0..<(filled.count * plane)]), batch: filled.count,
                                               height: h, width: w)
                for (i, item) in filled.enumerated() {
                    let top = LogitComparison.topK(logits[(i * classes)..<((i + 1) * classes)], k)
                    if top.first == item.label { result.top1Correct += 1 }
                    if top.contains(item.label) { result.top5Correct += 1 }
                    result.predictions.append(Prediction(path: item.path, label: item.label, top1: top.first ?? -1))
                }
                result.images += filled.count
            }
            result.forwardSeconds += seconds(clock.now - t1)
            start += chunk.count
            progress(start, dataset.items.count)
        }
        guard result.images > 0 else {
            throw CNZooError(.unreadable, "none of the \(dataset.items.count) images could be read; first: "
                             + (result.unreadable.first.map { "\($0.path): \($0.error)" } ?? "?"))
        }
        result.top1 = 100 * Double(result.top1Correct) / Double(result.images)
        result.top5 = 100 * Double(result.top5Correct) / Double(result.images)
        return result
    }

    /// The preprocessing a zoo source publishes, with the gaps filled by documented defaults (listed in `assumed`):
    /// crop = the entry's resolution; resize = `floor(crop / crop_pct)` when only crop_pct is given, else
    /// `floor(crop / 0.875)`; shorter-side resize; bicubic; ImageNet mean/std.
    public static func preprocessing(_ p: ZooPreprocessing?, resolution: Int) throws -> (ImagePreprocessing, assumed: [String]) {
        var assumed: [String] = []
        let mode: ImagePreprocessing.ResizeMode
        switch p?.resizeMode {
        case "warp": mode = .warp
        case "shorter-side": mode = .shorterSide
        case nil: mode = .shorterSide; assumed.append("resize_mode shorter-side")
        case let other?: throw CNZooError(.unsupported, "zoo preprocessing: unknown resize_mode '\(other)'")
        }
        var crop: Int? = p?.crop
        if crop == nil && mode == .shorterSide {
            crop = resolution
            assumed.append("crop \(resolution) (the entry's resolution)")
        }
        let resize: Int
        if let r = p?.resize {
            resize = r
        } else {
            let c = crop ?? resolution
            if let pct = p?.cropPct, pct > 0 {
                resize = Int((Double(c) / pct).rounded(.down))
            } else {
                resize = Int((Double(c) / 0.875).rounded(.down))
                assumed.append("resize \(resize) (crop / 0.875)")
            }
        }
        let filter: Resampler.Filter
        switch p?.interpolation {
        case "bilinear": filter = .bilinear
        case "bicubic": filter = .bicubic
        case nil: filter = .bicubic; assumed.append("bicubic interpolation")
        case let other?: throw CNZooError(.unsupported, "zoo preprocessing: unknown interpolation '\(other)'")
        }
        let mean = p?.mean.map { $0.map(Float.init) } ?? ImagePreprocessing.imagenetMean
        let std = p?.std.map { $0.map(Float.init) } ?? ImagePreprocessing.imagenetStd
        if p?.mean == nil || p?.std == nil { assumed.append("ImageNet mean/std") }
        return (try ImagePreprocessing(resize: resize, resizeMode: mode, crop: mode == .warp ? nil : crop,
                                       interpolation: filter, mean: mean, std: std), assumed)
    }
}
