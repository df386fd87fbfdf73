import CNZooCore
import CNZooPyTorch
import CNZooTestSupport
import Foundation
import Testing

/// `ReadOptions.verifyCRC` (`--verify-crc`): opt-in CRC-32 check of every zip entry of a `.pth`.
@Suite struct ZipCRCTests {
    let original = TestSupport.fixture("pytorch/torchvision_micro_f32.pth")
    static let verifying: ReadOptions = {
        var o = ReadOptions()
        o.verifyCRC = true
        return o
    }()

    @Test func intactArchivePassesAndSaysSo() throws {
        let file = try MappedFile(path: original)
        let entries = try ZipArchive(file: file).entries.count
        let ckpt = try PyTorchFormat.read(file: file, options: Self.verifying)
        #expect(ckpt.notes.contains("verified the CRC-32 of all \(entries) zip entries"))
        #expect(try PyTorchFormat.read(file: file).notes.allSatisfy { !$0.contains("CRC") })
    }

    @Test func aFlippedTensorByteIsCaughtOnlyWhenAsked() throws {
        let scratch = try TestSupport.makeScratchDirectory("cnzoo-crc")
        defer { TestSupport.removeScratch(scratch) }
        var bytes = try TestSupport.readFile(original)
        let archive = try ZipArchive(file: try MappedFile(path: original))
        let storage = try #require(archive.entries.first { $0.name.contains("/data/") && $0.compressedSize > 0 })
        bytes[storage.dataOffset] ^= 0x01
        let damaged = scratch + "/damaged.pth"
        try TestSupport.writeFile(damaged, bytes)

        // Off by default, as in torch: the file reads (with one different weight).
        _ = try PyTorchFormat.read(file: try MappedFile(path: damaged))
        let error = try #require(throws: CNZooError.self) {
            try PyTorchFormat.read(file: try MappedFile(path: damaged), options: Self.verifying)
        }
        #expect(error.code == .integrity)
        #expect(error.file == damaged && error.offset == storage.dataOffset)
        #expect(error.message.hasPrefix("zip entry '\(storage.name)': CRC-32 of its \(storage.compressedSize) bytes is 0x"))
        #expect(error.message.contains("the central directory records 0x" + String(format: "%08x", storage.crc32)))
    }
}
