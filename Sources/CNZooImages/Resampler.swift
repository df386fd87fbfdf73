/// Image resampling with PIL's semantics (`Image.resize` with `BILINEAR` / `BICUBIC`, which torchvision's `Resize`
/// calls on PIL images): a separable convolution whose kernel is widened by the scale factor when downscaling
/// (antialiasing), horizontal pass first, 8-bit rounding after each pass, and the same fixed-point coefficients
/// (22 fractional bits), so results match PIL byte for byte.
public enum Resampler {
    /// The interpolation kernel.
    public enum Filter: String, Sendable, Codable, CaseIterable {
        case bilinear, bicubic

        var support: Double { self == .bilinear ? 1 : 2 }

        func weight(_ x: Double) -> Double {
            let x = abs(x)
            switch self {
            case .bilinear:
                return x < 1 ? 1 - x : 0
            case .bicubic:
                let a = -0.5  // PIL's (and torchvision's antialiased) cubic kernel
                if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
                if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
                return 0
            }
        }
    }

    static let precisionBits = 22

    /// Per output position: the first input index, how many inputs, and their fixed-point weights.
    struct Coefficients {
        var first: [Int] = []
        var count: [Int] = []
        var weights: [[Int]] = []
    }

    static func coefficients(inSize: Int, outSize: Int, filter: Filter) -> Coefficients {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        var c = Coefficients()
        for xx in 0..<outSize {
            let center = (Double(xx) + 0.5) * scale
            let ss = 1 / filterScale
            let xmin = max(Int(center - support + 0.5), 0)  // Int() truncates toward zero, as C's cast does
            let xmax = min(Int(center + support + 0.5), inSize) - xmin
            var w = [Double](repeating: 0, count: max(xmax, 0))
            var total = 0.0
            for x in 0..<max(xmax, 0) {
                w[x] = filter.weight((Double(x + xmin) - center + 0.5) * ss)
                total += w[x]
            }
            let one = Double(1 << precisionBits)
            let fixed = w.map { v -> Int in
                let n = total != 0 ? v / total : v
                return n < 0 ? Int(-0.5 + n * one) : Int(0.5 + n * one)
            }
            c.first.append(xmin)
            c.count.append(max(xmax, 0))
            c.weights.append(fixed)
        }
        return c
    }

    @inline(__always)
    static func clip8(_ acc: Int) -> UInt8 {
        let v = acc >> precisionBits
        return v < 0 ? 0 : (v > 255 ? 255 : UInt8(v))
    }

    /// Resizes `image` to `width × height` (both ≥ 1).
    public static func resize(_ image: RGBImage, width: Int, height: Int, filter: Filter) -> RGBImage {
        precondition(width > 0 && height > 0)
        if width == image.width && height == image.height { return image }
        let half = 1 << (precisionBits - 1)
        var current = image
        if width != image.width {
            let c = coefficients(inSize: image.width, outSize: width, filter: filter)
            var out = [UInt8](repeating: 0, count: width * image.height * 3)
            image.pixels.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for y in 0..<image.height {
                        let row = y * image.width * 3
                        for x in 0..<width {
                            var r = half, g = half, b = half
                            let k = c.weights[x], first = c.first[x]
                            for i in 0..<c.count[x] {
                                let p = row + (first + i) * 3
                                r += Int(src[p]) * k[i]
                                g += Int(src[p + 1]) * k[i]
                                b += Int(src[p + 2]) * k[i]
                            }
                            let o = (y * width + x) * 3
                            dst[o] = clip8(r)
                            dst[o + 1] = clip8(g)
                            dst[o + 2] = clip8(b)
                        }
                    }
                }
            }
            current = RGBImage(width: width, height: image.height, pixels: out)
        }
        if height != current.height {
            let c = coefficients(inSize: current.height, outSize: height, filter: filter)
            let w = current.width
            var out = [UInt8](repeating: 0, count: w * height * 3)
            current.pixels.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for y in 0..<height {
                        let k = c.weights[y], first = c.first[y]
                        for x in 0..<(w * 3) {
                            var acc = half
                            for i in 0..<c.count[y] {
                                acc += Int(src[(first + i) * w * 3 + x]) * k[i]
                            }
                            dst[y * w * 3 + x] = clip8(acc)
                        }
                    }
                }
            }
            current = RGBImage(width: w, height: height, pixels: out)
        }
        return current
    }

    /// The `width × height` region of `image` whose top-left corner is (`left`, `top`); must lie inside the image.
    public static func crop(_ image: RGBImage, left: Int, top: Int, width: Int, height: Int) -> RGBImage {
        precondition(left >= 0 && top >= 0 && left + width <= image.width && top + height <= image.height)
        var out = [UInt8]()
        out.reserveCapacity(width * height * 3)
        for y in top..<(top + height) {
            let start = (y * image.width + left) * 3
            out.append(contentsOf: image.pixels[start..<(start + width * 3)])
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}
