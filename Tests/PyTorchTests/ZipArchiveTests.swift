import CNZooCore
import CNZooPyTorch
import CNZooTestSupport
import Foundation
import Testing

/// Hostile variants of a real torch archive, made by patching its central directory.
@Suite struct ZipArchiveTests {
    /// Offsets of central-directory headers in `bytes`, with their entry names.
    func centralHeaders(_ bytes: [UInt8]) -> [(offset: Int, name: String)] {
        var out: [(Int, String)] = []
        var i = 0
        while i + 46 <= bytes.count {
            if bytes[i] == 0x50, bytes[i + 1] == 0x4B, bytes[i + 2] == 0x01, bytes[i + 3] == 0x02 {
                let n = Int(bytes[i + 28]) | Int(bytes[i + 29]) << 8
                if i + 46 + n <= bytes.count {
                    out.append((i, String(decoding: bytes[(i + 46)..<(i + 46 + n)], as: UTF8.self)))
                }
            }
            i += 1
        }
        return out
    }

    func readPatched(_ patch: (inout [UInt8], [(offset: Int, name: String)]) -> Void) throws -> CNZooError? {
        var bytes = try TestSupport.readFile(TestSupport.fixture("pytorch/tiny.pth"))
        let headers = centralHeaders(bytes)
        #expect(headers.map(\.name).contains("tiny/data/0"))
        patch(&bytes, headers)
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        try TestSupport.writeFile("\(dir)/p.pth", bytes)
        do {
            let ckpt = try PyTorchFormat.read(file: MappedFile(path: "\(dir)/p.pth"))
            for t in ckpt.tensors { _ = try t.data.readAll() }
            return nil
        } catch let e as CNZooError {
            return e
        }
    }

    @Test func realTorchArchiveHasZip64RecordsAndAlignedData() throws {
        let zip = try ZipArchive(file: MappedFile(path: TestSupport.fixture("pytorch/tiny.pth")))
        #expect(zip.entries.map(\.name) == ["tiny/data.pkl", "tiny/.format_version", "tiny/.storage_alignment",
                                           "tiny/byteorder", "tiny/data/0", "tiny/data/1", "tiny/version",
                                           "tiny/.data/serialization_id"])
        for e in zip.entries { #expect(e.dataOffset % 64 == 0 && e.method == 0 && e.flags & 0x08 != 0) }
    }

    @Test func encryptedEntriesAreRefused() throws {
        let e = try readPatched { b, h in
            let at = h.first { $0.name == "tiny/data/0" }!.offset
            b[at + 8] |= 0x01
        }
        #expect(e?.code == .encrypted, "\(String(describing: e))")
        #expect(e?.message.contains("tiny/data/0") == true)
    }

    @Test func duplicateNamesAreRefused() throws {
        let e = try readPatched { b, h in
            let at = h.first { $0.name == "tiny/data/1" }!.offset
            b[at + 46 + "tiny/data/".count] = UInt8(ascii: "0")
        }
        #expect(e?.code == .malformed && e?.message.contains("duplicate") == true, "\(String(describing: e))")
    }

    @Test func overlappingEntriesAreRefused() throws {
        let e = try readPatched { b, h in
            // Point data/1's local-header offset at data/0's local header.
            let a = h.first { $0.name == "tiny/data/0" }!.offset, c = h.first { $0.name == "tiny/data/1" }!.offset
            for k in 0..<4 { b[c + 42 + k] = b[a + 42 + k] }
        }
        #expect(e?.code == .malformed, "\(String(describing: e))")
    }

    @Test func sizesBeyondTheFileAreRefused() throws {
        let e = try readPatched { b, h in
            let at = h.first { $0.name == "tiny/data/0" }!.offset
            for k in 0..<4 { b[at + 20 + k] = 0x7F; b[at + 24 + k] = 0x7F }
        }
        #expect(e?.code == .malformed, "\(String(describing: e))")
    }

    @Test func storageLargerThanItsRecordIsRefused() throws {
        // Claim a 3-element float storage holds 1000 elements: patch BININT1 3 → BININT2 1000? Lengths would move, so
        // instead shrink the record: data/0's sizes 12 → 4 bytes (it then holds one float, the pickle asks for three).
        let e = try readPatched { b, h in
            let at = h.first { $0.name == "tiny/data/0" }!.offset
            b[at + 20] = 4; b[at + 24] = 4
        }
        #expect(e?.code == .malformed && e?.message.contains("storage '0'") == true, "\(String(describing: e))")
    }

    @Test func unsupportedPersistentIDsAreNamed() throws {
        // {'x': _rebuild_tensor_v2(PERSID 'abc', 0, (), (), False, {})} as a bare pickle.
        var p: [UInt8] = [0x80, 0x02, 0x7D, 0x58, 1, 0, 0, 0, UInt8(ascii: "x")]
        p += Array("ctorch._utils\n_rebuild_tensor_v2\n(Pabc\n".utf8)
        p += [0x4B, 0x00, 0x29, 0x29, 0x89, 0x7D, 0x74, 0x52, 0x73, 0x2E]
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        try TestSupport.writeFile("\(dir)/p.pkl", p)
        do {
            _ = try PyTorchFormat.read(file: MappedFile(path: "\(dir)/p.pkl"))
            Issue.record("read a tensor with a string persistent id")
        } catch let e as CNZooError {
            #expect(e.code == .unsupported && e.tensor == "x" && e.message.contains("persistent id"), "\(e)")
        }
        let r = try PyTorchFormat.scan(path: "\(dir)/p.pkl")
        #expect(r.findings.contains { $0.message.contains("persistent id") })
    }
}
