import CNZooCore
import CNZooFormats
import CNZooImages
import CNZooMapping
import CNZooModels
import CNZooTestSupport
import CNZooVerify
import CNZooZoo
import Foundation
import Testing

/// Accuracy on images labelled with the real torchvision micro ConvNeXt's own predictions (Fixtures/images).
@Suite struct ImageAccuracyTests {
    static func model() throws -> any ForwardModel {
        let path = TestSupport.fixture("pytorch/torchvision_micro_f32.pth")
        return try ModelLoader.load(path, forward: ForwardOptions(threads: 1)).model
    }

    static let bilinear = { try! ImagePreprocessing(resize: 36, crop: 32, interpolation: .bilinear) }()

    @Test func foldersScoreEveryTorchvisionPrediction() throws {
        let dataset = try ImageDataset.folders(TestSupport.fixture("images/folders"))
        #expect(dataset.items.count == 8)
        var calls = 0
        let r = try ImageAccuracy.run(model: try Self.model(), dataset: dataset, preprocessing: Self.bilinear,
                                      batchSize: 3, progress: { _, _ in calls += 1 })
        #expect(r.images == 8)
        #expect(r.top1Correct == 8, "\(r.predictions)")
        #expect(r.top1 == 100 && r.top5 == 100)
        #expect(calls == 3)  // batches of 3, 3, 2
        #expect(r.unreadable.isEmpty)
    }

    @Test func aWrongLabelLowersTop1Only() throws {
        let dataset = try ImageDataset.listFile(TestSupport.fixture("images/list_wrong.txt"))
        let r = try ImageAccuracy.run(model: try Self.model(), dataset: dataset, preprocessing: Self.bilinear)
        #expect(r.images == 8)
        #expect(r.top1Correct == 7)
        #expect(r.top1 == 87.5)
        #expect(r.top5 == 100)  // the wrong label is torchvision's second choice
    }

    @Test func listFileMatchesFolders() throws {
        let list = try ImageDataset.listFile(TestSupport.fixture("images/list.txt"))
        let folders = try ImageDataset.folders(TestSupport.fixture("images/folders"))
        #expect(Set(list.items.map { "\($0.path) \($0.label)" }) == Set(folders.items.map { "\($0.path) \($0.label)" }))
    }

    @Test func unreadableImagesAreSkippedAndReported() throws {
        let dir = try TestSupport.makeScratchDirectory("cnzoo-images")
        defer { TestSupport.removeScratch(dir) }
        let good = TestSupport.fixture("images/folders/8/img1001.jpg")
        let bad = TestSupport.fixture("images/corrupt/truncated.jpg")
        try "\(good) 8\n\(bad) 3\n".write(toFile: dir + "/list.txt", atomically: true, encoding: .utf8)
        let r = try ImageAccuracy.run(model: try Self.model(), dataset: try ImageDataset.listFile(dir + "/list.txt"),
                                      preprocessing: Self.bilinear)
        #expect(r.images == 1 && r.top1 == 100)
        #expect(r.unreadable.map(\.path) == [bad])
    }

    @Test func datasetErrors() throws {
        let dir = try TestSupport.makeScratchDirectory("cnzoo-images")
        defer { TestSupport.removeScratch(dir) }
        #expect(throws: CNZooError.self) { try ImageDataset.folders(dir) }  // no class folders
        try FileManager.default.createDirectory(atPath: dir + "/cat", withIntermediateDirectories: true)
        #expect(throws: CNZooError.self) { try ImageDataset.folders(dir) }  // no images
        try "a.jpg\n".write(toFile: dir + "/l.txt", atomically: true, encoding: .utf8)
        #expect(throws: CNZooError.self) { try ImageDataset.listFile(dir + "/l.txt") }  // no label
        try "a.jpg 12\n".write(toFile: dir + "/l.txt", atomically: true, encoding: .utf8)
        let ds = try ImageDataset.listFile(dir + "/l.txt")
        #expect(throws: CNZooError.self) {  // label outside the 10 classes
            try ImageAccuracy.run(model: try Self.model(), dataset: ds, preprocessing: Self.bilinear)
        }
    }

    @Test func zooPreprocessingFillsDocumentedDefaults() throws {
        let tv = try ImageAccuracy.preprocessing(ZooPreprocessing(resize: 236, resizeMode: "shorter-side", crop: 224,
                                                                  interpolation: "bilinear", mean: [0.485, 0.456, 0.406],
                                                                  std: [0.229, 0.224, 0.225]), resolution: 224)
        #expect(tv.0 == (try ImagePreprocessing(resize: 236, crop: 224, interpolation: .bilinear)))
        #expect(tv.assumed.isEmpty)
        let mindcv = try ImageAccuracy.preprocessing(ZooPreprocessing(crop: 224, cropPct: 0.95, interpolation: "bicubic"),
                                                     resolution: 224)
        #expect(mindcv.0.resize == 235 && mindcv.0.crop == 224)  // floor(224 / 0.95)
        #expect(mindcv.assumed.contains("ImageNet mean/std"))
        let warp = try ImageAccuracy.preprocessing(ZooPreprocessing(resize: 384, resizeMode: "warp",
                                                                    interpolation: "bicubic"), resolution: 384)
        #expect(warp.0.resizeMode == .warp && warp.0.crop == nil)
    }
}
