import CNZooCore

/// The evaluation transform applied to every image before the forward pass, with torchvision's semantics:
/// `Resize(resize)` (shorter side, aspect kept; or both sides in `warp` mode) with PIL's resampling, `CenterCrop(crop)`,
/// `ToTensor()` (bytes / 255 in float32) and `Normalize(mean, std)`, producing CHW float32.
public struct ImagePreprocessing: Sendable, Equatable, Codable {
    /// How `resize` applies.
    public enum ResizeMode: String, Sendable, Codable {
        /// The shorter side becomes `resize`, the longer `Int(resize * long / short)` (torchvision's rule).
        case shorterSide = "shorter-side"
        /// Both sides become `resize` (no crop needed).
        case warp
    }

    public var resize: Int
    public var resizeMode: ResizeMode
    /// Center-crop size; nil means no crop (the output is the resized image).
    public var crop: Int?
    public var interpolation: Resampler.Filter
    public var mean: [Float]
    public var std: [Float]

    /// Largest resize or crop accepted (pixels).
    public static let maxSide = 16384

    /// ImageNet's channel statistics (on 0–1 inputs, RGB), which every ConvNeXt release uses.
    public static let imagenetMean: [Float] = [0.485, 0.456, 0.406]
    public static let imagenetStd: [Float] = [0.229, 0.224, 0.225]

    enum CodingKeys: String, CodingKey {
        case resize, crop, interpolation, mean, std
        case resizeMode = "resize_mode"
    }

    public init(resize: Int, resizeMode: ResizeMode = .shorterSide, crop: Int?, interpolation: Resampler.Filter,
                mean: [Float] = imagenetMean, std: [Float] = imagenetStd) throws {
        guard resize > 0, resize <= Self.maxSide, (crop ?? 1) > 0, (crop ?? 1) <= Self.maxSide else {
            throw CNZooError(.usage, "preprocessing: resize \(resize) and crop \(crop.map(String.init) ?? "none") must be in 1...\(Self.maxSide)")
        }
        if resizeMode == .shorterSide, let crop, crop > resize {
            throw CNZooError(.usage, "preprocessing: crop \(crop) is larger than the resize \(resize) of the shorter side")
        }
        guard mean.count == 3, std.count == 3, std.allSatisfy({ $0 > 0 }) else {
            throw CNZooError(.usage, "preprocessing: mean and std need 3 values each, std > 0")
        }
        self.resize = resize
        self.resizeMode = resizeMode
        self.crop = crop
        self.interpolation = interpolation
        self.mean = mean
        self.std = std
    }

    /// Height and width of the output.
    public var outputSize: (height: Int, width: Int) {
        if let crop { return (crop, crop) }
        return (resize, resize)
    }

    /// The resize target for an image (torchvision's `_compute_resized_output_size` without `max_size`).
    public func resizedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        switch resizeMode {
        case .warp:
            return (resize, resize)
        case .shorterSide:
            let short = min(width, height), long = max(width, height)
            let newLong = Int(Double(resize * long) / Double(short))
            return width <= height ? (resize, newLong) : (newLong, resize)
        }
    }

    /// The resized and cropped 8-bit image (before normalisation).
    public func resizedAndCropped(_ image: RGBImage) throws -> RGBImage {
        let (w, h) = resizedSize(width: image.width, height: image.height)
        guard w > 0, h > 0, w <= ImageDecoder.maxPixels / h else {
            throw CNZooError(.unsupported, "image \(image.width)×\(image.height) is too elongated to resize to \(resize)")
        }
        let resized = Resampler.resize(image, width: w, height: h, filter: interpolation)
        guard let crop else { return resized }
        guard crop <= w, crop <= h else {
            throw CNZooError(.unsupported, "resized image \(w)×\(h) is smaller than the \(crop)×\(crop) crop")
        }
        // torchvision: int(round((size - crop) / 2.0)); Python's round() ties to even.
        let top = Int((Double(h - crop) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(w - crop) / 2).rounded(.toNearestOrEven))
        return Resampler.crop(resized, left: left, top: top, width: crop, height: crop)
    }

    /// Writes the preprocessed image as CHW float32 into `output` (`3 * height * width` floats).
    public func apply(_ image: RGBImage, into output: UnsafeMutableBufferPointer<Float>) throws {
        let img = try resizedAndCropped(image)
        let plane = img.width * img.height
        precondition(output.count >= 3 * plane)
        img.pixels.withUnsafeBufferPointer { px in
            for c in 0..<3 {
                let m = mean[c], s = std[c]
                for i in 0..<plane {
                    output[c * plane + i] = (Float(px[i * 3 + c]) / 255 - m) / s
                }
            }
        }
    }

    /// The preprocessed image as CHW float32.
    public func apply(_ image: RGBImage) throws -> [Float] {
        let (h, w) = outputSize
        var out = [Float](repeating: 0, count: 3 * h * w)
        try out.withUnsafeMutableBufferPointer { try apply(image, into: $0) }
        return out
    }

    /// A one-line description, e.g. `resize 236 (shorter side, bilinear) → center crop 224, mean/std ImageNet`.
    public var summary: String {
        let statistics = mean == Self.imagenetMean && std == Self.imagenetStd
            ? "ImageNet mean/std" : "mean \(mean) std \(std)"
        let r = "resize \(resize) (\(resizeMode == .warp ? "both sides" : "shorter side"), \(interpolation.rawValue))"
        return crop.map { "\(r) → center crop \($0), \(statistics)" } ?? "\(r), \(statistics)"
    }
}
