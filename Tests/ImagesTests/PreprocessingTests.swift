import CNZooCore
import CNZooImages
import CNZooNumPy
import CNZooTestSupport
import Foundation
import Testing

/// Decoding and preprocessing against what PIL and torchvision produce (Fixtures/generate_images.py).
@Suite struct PreprocessingTests {
    static let cases = ["rgb_down.png", "rgb_up.png", "gray.png", "palette.png", "rgba.png", "deep16.png",
                        "rgb.jpg", "gray.jpg", "cmyk.jpg"]

    static func preprocessing(_ filter: Resampler.Filter) throws -> ImagePreprocessing {
        try ImagePreprocessing(resize: 36, crop: 32, interpolation: filter)
    }

    /// PIL's `Resize(36) → CenterCrop(32)` bytes, exactly: same decoders, same fixed-point resampling.
    @Test(arguments: cases, Resampler.Filter.allCases)
    func cropMatchesPILExactly(file: String, filter: Resampler.Filter) throws {
        let image = try ImageDecoder.decode(path: TestSupport.fixture("images/preprocess/\(file)"))
        let mine = try Self.preprocessing(filter).resizedAndCropped(image)
        let theirs = try TestSupport.readFile(TestSupport.fixture("images/preprocess/\(file).\(filter.rawValue).crop.rgb"))
        #expect(mine.width == 32 && mine.height == 32)
        let differing = zip(mine.pixels, theirs).filter { $0 != $1 }.count
        #expect(theirs.count == 32 * 32 * 3)
        #expect(differing == 0, "\(file) \(filter): \(differing) of \(theirs.count) bytes differ from PIL")
    }

    /// JPEG decoding gives PIL's bytes (both use libjpeg-turbo's default islow IDCT and fancy upsampling; CMYK goes
    /// through PIL's own CMYK → RGB formula).
    @Test(arguments: ["rgb.jpg", "gray.jpg", "cmyk.jpg"])
    func jpegDecodesLikePIL(file: String) throws {
        let image = try ImageDecoder.decode(path: TestSupport.fixture("images/preprocess/\(file)"))
        let theirs = try TestSupport.readFile(TestSupport.fixture("images/preprocess/\(file).rgb"))
        #expect(image.pixels.count == theirs.count)
        let maxDiff = zip(image.pixels, theirs).map { abs(Int($0) - Int($1)) }.max() ?? 255
        #expect(maxDiff == 0, "\(file): max byte difference \(maxDiff) from PIL")
    }

    /// The float tensor: ToTensor (÷255 in float32) then Normalize ((x − mean) / std in float32), as torchvision.
    /// Same bytes and the same float32 operations in the same order, so the tolerance is 0 (checked at 1e-6).
    @Test(arguments: Resampler.Filter.allCases)
    func tensorMatchesTorchvision(filter: Resampler.Filter) throws {
        let image = try ImageDecoder.decode(path: TestSupport.fixture("images/preprocess/rgb_down.png"))
        let mine = try Self.preprocessing(filter).apply(image)
        let theirs = try NumPyFormat.read(path: TestSupport.fixture("images/preprocess/rgb_down.png.\(filter.rawValue).npy"))
        #expect(theirs.shape == [3, 32, 32])
        let ref = try theirs.floats()
        #expect(ref.count == mine.count)
        let maxDiff = zip(mine, ref).map { abs($0 - $1) }.max() ?? .infinity
        #expect(maxDiff <= 1e-6, "max |diff| \(maxDiff)")
    }

    @Test func sizesFollowTorchvisionRules() throws {
        let p = try ImagePreprocessing(resize: 236, crop: 224, interpolation: .bilinear)
        #expect(p.resizedSize(width: 500, height: 375) == (314, 236))  // int(236 * 500 / 375) = 314
        #expect(p.resizedSize(width: 375, height: 500) == (236, 314))
        let warp = try ImagePreprocessing(resize: 384, resizeMode: .warp, crop: nil, interpolation: .bicubic)
        #expect(warp.resizedSize(width: 500, height: 375) == (384, 384))
        #expect(warp.outputSize == (384, 384))
        #expect(throws: CNZooError.self) { try ImagePreprocessing(resize: 200, crop: 224, interpolation: .bilinear) }
    }

    @Test(arguments: ["truncated.jpg", "badcrc.png", "notimage.jpg"])
    func corruptFilesAreClearErrors(file: String) throws {
        let path = TestSupport.fixture("images/corrupt/\(file)")
        do {
            _ = try ImageDecoder.decode(path: path)
            Issue.record("\(file) decoded without error")
        } catch let e as CNZooError {
            #expect(e.file == path)
            #expect(!e.message.isEmpty)
            if file == "notimage.jpg" { #expect(e.code == .unknownFormat) } else { #expect(e.code == .malformed) }
        }
    }

    @Test func truncatedInputsNeverCrash() throws {
        let bytes = try TestSupport.readFile(TestSupport.fixture("images/preprocess/rgb_down.png"))
        let jpeg = try TestSupport.readFile(TestSupport.fixture("images/preprocess/rgb.jpg"))
        for data in [bytes, jpeg] {
            for cut in stride(from: 0, to: data.count, by: max(1, data.count / 40)) {
                #expect(throws: CNZooError.self) { try ImageDecoder.decode(Array(data[0..<cut]), name: "cut") }
            }
        }
    }
}
