import CNZooCore
import CNZooTestSupport
import Foundation
import Testing

@Suite struct DTypeTests {
    @Test func widthsAndSpellingTables() {
        for (d, info) in DType.known {
            #expect(d.bitWidth == info.bits)
            #expect(d.byteWidth.map { $0 * 8 } == info.bits)
        }
        #expect(DType.bf16.isFloatingPoint && !DType.i8.isFloatingPoint)
        #expect(DType(rawValue: "f32").isKnown == false)  // case-sensitive, like the reference crate
        let table = DTypeSpellings([(.f32, "float"), (.f16, "half"), (.f32, "single")])
        #expect(table.name(of: .f32) == "float")  // the first pair wins
        #expect(table.dtype(named: "single") == .f32)
        #expect(table.dtype(named: "double") == nil)
        #expect(table.name(of: .bf16) == nil)
    }

    @Test func requiredDTypesPresent() {
        for name in ["F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"] {
            #expect(DType(rawValue: name).isKnown, "missing \(name)")
        }
    }
}

@Suite struct CheckedTests {
    @Test func overflowDetected() {
        #expect(Checked.elementCount([2, 3, 4]) == 24)
        #expect(Checked.elementCount([]) == 1)
        #expect(Checked.elementCount([5, 0]) == 0)
        #expect(Checked.elementCount([-1]) == nil)
        #expect(Checked.elementCount([Int.max, 2]) == nil)
        #expect(Checked.byteCount([1 << 62], .f32) == nil)
    }
}

@Suite struct SHA256Tests {
    @Test func knownVectors() {
        var s = SHA256()
        s.update(Array("abc".utf8))
        #expect(s.finalizeHex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var e = SHA256()
        #expect(e.finalizeHex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // Chunking must not matter: feed 1000 bytes in uneven pieces.
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var whole = SHA256()
        whole.update(data)
        var pieces = SHA256()
        var i = 0
        for n in [1, 63, 64, 65, 200, 607] { pieces.update(data[i..<(i + n)]); i += n }
        #expect(whole.finalizeHex() == pieces.finalizeHex())
    }
}

@Suite struct JSONParserTests {
    func parse(_ s: String) throws -> JSONValue {
        try Array(s.utf8).withUnsafeBytes { try JSONParser.parse($0) }
    }

    @Test func parsesInOrder() throws {
        let v = try parse(#" {"b": [1, -2, 3.5e1], "a": {"x": "y\u00e9\n"}, "c": null, "d": true} "#)
        guard case let .object(m) = v else { Issue.record("not an object"); return }
        #expect(m.map(\.0) == ["b", "a", "c", "d"])
        #expect(m[0].1 == .array([.int(1), .int(-2), .double(35)]))
        #expect(m[1].1 == .object([("x", .string("yé\n"))]))
    }

    @Test(arguments: [#"{"a":1,"a":2}"#, "{", #"{"a":}"#, "[1,]", "01", #""\x""#, "{}x", #"{"a":"\ud800"}"#, "nul"])
    func rejects(_ text: String) {
        #expect(throws: CNZooError.self) { try parse(text) }
    }

    @Test func deepNestingIsBounded() {
        let deep = String(repeating: "[", count: Limits.maxNestingDepth + 5)
        #expect {
            try parse(deep)
        } throws: { ($0 as? CNZooError)?.code == .limitExceeded }
    }

    @Test func serializationRoundTrips() throws {
        let text = #"{"k":["a\"b\\c",1,-7,true,null,{"z":"\u0001"}]}"#
        let v = try parse(text)
        #expect(try parse(v.serialized()) == v)
    }
}

@Suite struct AtomicFileWriterTests {
    @Test func commitPlacesFileAndAbortLeavesNothing() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let target = dir + "/out.bin"
        let w = try AtomicFileWriter(path: target, overwrite: false)
        try w.write([1, 2, 3])
        #expect(!FileManager.default.fileExists(atPath: target))
        try w.commit()
        #expect(try TestSupport.readFile(target) == [1, 2, 3])

        #expect(throws: CNZooError.self) { _ = try AtomicFileWriter(path: target, overwrite: false) }
        let w2 = try AtomicFileWriter(path: target, overwrite: true)
        try w2.write([9])
        w2.abort()
        #expect(try TestSupport.readFile(target) == [1, 2, 3])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.bin"])
    }

    @Test func fullDeviceFailsClearly() throws {
        // /dev/full: the temp file cannot be created in /dev by a normal user, and writes to it fail with ENOSPC;
        // either way the error must be a clean CNZooError, never a crash.
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        #expect(throws: CNZooError.self) {
            _ = try AtomicFileWriter(path: dir + "/missing-dir/out.bin", overwrite: false)
        }
    }
}

@Suite struct ByteCursorTests {
    @Test func shortReadsReturnNil() {
        let bytes: [UInt8] = [0x01, 0x02, 0x03, 0xAC, 0x02]
        bytes.withUnsafeBytes { raw in
            var c = ByteCursor(raw)
            #expect(c.readLE(UInt16.self) == 0x0201)
            #expect(c.readLE(UInt32.self) == nil)
            #expect(c.position == 2)
            #expect(c.readByte() == 3)
            #expect(c.readVarint() == 300)
            #expect(c.readByte() == nil)
            #expect(c.readBytes(1) == nil)
        }
    }
}

@Suite struct KernelCopyTests {
    /// Mapped ranges of 1 MiB and more are copied with copy_file_range; the output must be byte-identical to the
    /// source ranges, in order, interleaved with ordinary buffered writes, for single ranges and chunk lists.
    @Test func mappedRangesCopyExactly() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let n = (3 << 20) + 12345
        let source = (0..<n).map { UInt8(truncatingIfNeeded: ($0 &* 2654435761) >> 7) }
        try TestSupport.writeFile(dir + "/in.bin", source)
        let f = try MappedFile(path: dir + "/in.bin")
        #expect(f.fileDescriptor != nil)

        let out = try AtomicFileWriter(path: dir + "/out.bin", overwrite: false)
        try out.write([0xAA, 0xBB, 0xCC])                                      // buffered, must land first
        try out.write(TensorData.file(f, 7..<(7 + (2 << 20))))                 // one big range: kernel copy
        try out.write(TensorData(.chunks(f, [100..<(100 + (1 << 20)), 5..<9, 0..<(1 << 20)]),
                                 byteCount: (1 << 20) + 4 + (1 << 20)))        // big, small, big
        try out.write(TensorData.file(f, 0..<10))                              // small range: plain write
        #expect(out.bytesWritten == 3 + (2 << 20) + (1 << 20) + 4 + (1 << 20) + 10)
        try out.commit()

        var expected: [UInt8] = [0xAA, 0xBB, 0xCC]
        expected += source[7..<(7 + (2 << 20))]
        expected += source[100..<(100 + (1 << 20))]
        expected += source[5..<9]
        expected += source[0..<(1 << 20)]
        expected += source[0..<10]
        #expect(try TestSupport.readFile(dir + "/out.bin") == expected)
    }

    @Test func rangesOutsideTheFileAreRefused() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        try TestSupport.writeFile(dir + "/in.bin", [UInt8](repeating: 1, count: 1 << 20))
        let f = try MappedFile(path: dir + "/in.bin")
        let out = try AtomicFileWriter(path: dir + "/out.bin", overwrite: false)
        #expect(throws: CNZooError.self) { try out.write(TensorData.file(f, 0..<((1 << 20) + 1))) }
        out.abort()
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.bin"))
    }
}
