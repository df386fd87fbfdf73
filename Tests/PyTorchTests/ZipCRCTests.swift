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

    /// The carry-less-multiplication CRC (64-byte folding, PCLMULQDQ where the CPU has it) gives zlib's CRC-32: checked
    /// against a bit-at-a-time reference over every length 0…320 at unaligned starts, a 1 MiB buffer, and the same
    /// bytes fed in uneven pieces.
    @Test func foldedCRCMatchesTheBitwiseDefinition() throws {
        func reference(_ bytes: ArraySlice<UInt8>, _ start: UInt32 = 0) -> UInt32 {
            var c = ~start
            for b in bytes {
                c ^= UInt32(b)
                for _ in 0..<8 { c = c & 1 == 1 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
            }
            return ~c
        }
        var rng = SplitMix64(state: 5)
        let data = (0..<(1 << 20) + 77).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        var bad: [Int] = []
        for length in 0...320 {
            let slice = data[3..<(3 + length)]
            if slice.withUnsafeBytes({ CRC32.checksum($0) }) != reference(slice) { bad.append(length) }
        }
        #expect(bad.isEmpty, "lengths \(bad.prefix(8))")
        let whole = reference(data[...])
        #expect(data.withUnsafeBytes { CRC32.checksum($0) } == whole)
        var pieces = CRC32()
        var at = 0
        for size in [1, 63, 64, 65, 1000, 4096 + 5, 100_000] + Array(repeating: 300_001, count: 4) where at < data.count {
            let end = min(data.count, at + size)
            data[at..<end].withUnsafeBytes { pieces.update($0) }
            at = end
        }
        data[at...].withUnsafeBytes { pieces.update($0) }
        #expect(pieces.value == whole)
    }

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
