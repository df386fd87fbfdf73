import CNZooCore
import CNZooLibZip
import CNZooTestSupport
import Testing

/// The libzip wrapper `.npz` and `.keras` share: archives built here byte by byte (stored members), so each check
/// knows exactly what the archive holds.
@Suite struct LibZipArchiveTests {
    /// A `.npy` of two float32 values (format 1.0, header padded to 64 bytes).
    static func npy(_ a: Float, _ b: Float) -> [UInt8] {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
        while (10 + header.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)]
        out += Array(header.utf8)
        for v in [a, b] { withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 } }
        return out
    }

    /// A zip of stored members (local headers, central directory, end record), in order.
    static func zip(_ members: [(String, [UInt8])]) -> [UInt8] {
        func le(_ v: Int, _ n: Int) -> [UInt8] { (0..<n).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        var out: [UInt8] = [], central: [UInt8] = []
        for (name, data) in members {
            let crc = Int(CRC32.checksum(data)), offset = out.count
            let common = le(20, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0x21, 2) + le(crc, 4) + le(data.count, 4)
                + le(data.count, 4) + le(name.utf8.count, 2) + le(0, 2)
            out += le(0x0403_4B50, 4) + common + Array(name.utf8) + data
            central += le(0x0201_4B50, 4) + le(20, 2) + common + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4)
                + le(offset, 4) + Array(name.utf8)
        }
        let cdOffset = out.count
        out += central + le(0x0605_4B50, 4) + le(0, 2) + le(0, 2) + le(members.count, 2) + le(members.count, 2)
            + le(central.count, 4) + le(cdOffset, 4) + le(0, 2)
        return out
    }

    @Test func readsMembersInOrderAndBoundsTheirSize() throws {
        let a = Self.npy(1, 2), b = Self.npy(3, 4)
        let bytes = Self.zip([("a.npy", a), ("b.npy", b)])
        try bytes.withUnsafeBytes { raw in
            try LibZipArchive.withArchive(raw, file: "t.npz") { zip in
                #expect(try zip.count() == 2)
                let m = try zip.member(at: 1)
                #expect(m.name == "b.npy" && m.size == b.count && m.isStored)
                #expect(zip.index(of: "b.npy") == 1 && zip.index(of: "c.npy") == nil)
                #expect(try zip.read(at: 0) == a)
                let e = #expect(throws: CNZooError.self) { try zip.read(at: 1, limit: b.count - 1) }
                #expect(e?.code == .limitExceeded && e?.message.contains("'b.npy'") == true, "\(String(describing: e))")
            }
        }
    }

    @Test func npzMembersBecomeTensorsAndDuplicateNamesAreRefused() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let good = dir + "/good.npz", twice = dir + "/twice.npz"
        try TestSupport.writeFile(good, Self.zip([("x.npy", Self.npy(1, 2)), ("y.npy", Self.npy(3, 4))]))
        try TestSupport.writeFile(twice, Self.zip([("x.npy", Self.npy(1, 2)), ("x.npy", Self.npy(3, 4))]))
        let ok = try TestSupport.run(["inspect", good, "--json"])
        #expect(ok.status == 0 && ok.stdout.contains("\"x\"") && ok.stdout.contains("\"y\""), "\(ok.stdout) \(ok.stderr)")
        let bad = try TestSupport.run(["inspect", twice])
        #expect(bad.status == 2 && bad.stderr.contains(twice) && bad.stderr.contains("a member name appears twice"),
                "\(bad.stderr)")
    }

    @Test func emptyAndNonZipBytesAreMalformed() {
        for bytes in [[UInt8](), Array("not a zip at all".utf8)] {
            let e = #expect(throws: CNZooError.self) {
                try bytes.withUnsafeBytes { raw in try LibZipArchive.withArchive(raw, file: "t.zip") { _ in () } }
            }
            #expect(e?.code == .malformed && e?.file == "t.zip")
        }
    }
}
