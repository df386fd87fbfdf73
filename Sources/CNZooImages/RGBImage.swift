import CNZooCore
import CNZooImageC
import Foundation

/// An 8-bit RGB image, interleaved, rows top to bottom.
public struct RGBImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// `width * height * 3` bytes.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 3, "RGBImage: pixel count mismatch")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// Decodes JPEG and PNG files (chosen by content, not by extension) to `RGBImage` through libjpeg-turbo and libpng.
///
/// Grayscale, CMYK/YCCK, palette, 16-bit and alpha images all become RGB8: 16-bit samples keep their high byte and
/// alpha is dropped, as PIL's `convert("RGB")` does. A corrupt or truncated file is a `CNZooError` naming the file.
public enum ImageDecoder {
    /// Largest image accepted (pixels), so a hostile header cannot ask for gigabytes.
    public static let maxPixels = 1 << 28

    /// Reads and decodes the image at `path`.
    public static func decode(path: String) throws -> RGBImage {
        let bytes: [UInt8]
        do { bytes = try MappedFile(path: path).copyBytes() } catch { throw CNZooError.wrap(error, file: path) }
        return try decode(bytes, name: path)
    }

    /// Decodes an in-memory JPEG or PNG; `name` is used in errors.
    public static func decode(_ bytes: [UInt8], name: String) throws -> RGBImage {
        var image = cnzoo_image()
        let status: Int32 = bytes.withUnsafeBufferPointer { buf -> Int32 in
            guard let base = buf.baseAddress else { return -2 }
            if buf.count >= 3, buf[0] == 0xFF, buf[1] == 0xD8, buf[2] == 0xFF {
                return cnzoo_decode_jpeg(base, buf.count, maxPixels, &image)
            }
            if buf.count >= 8, buf[0] == 0x89, buf[1] == 0x50, buf[2] == 0x4E, buf[3] == 0x47 {
                return cnzoo_decode_png(base, buf.count, maxPixels, &image)
            }
            return -2
        }
        defer { cnzoo_image_free(&image) }
        if status == -2 {
            throw CNZooError(.unknownFormat, "not a JPEG or PNG file (\(bytes.count) bytes)", file: name)
        }
        guard status == 0, let p = image.pixels else {
            let message = withUnsafeBytes(of: image.error) { raw -> String in
                let chars = raw.prefix(while: { $0 != 0 })
                return String(decoding: chars, as: UTF8.self)
            }
            throw CNZooError(.malformed, message.isEmpty ? "cannot decode image" : message, file: name)
        }
        let w = Int(image.width), h = Int(image.height)
        return RGBImage(width: w, height: h, pixels: Array(UnsafeBufferPointer(start: p, count: w * h * 3)))
    }
}
