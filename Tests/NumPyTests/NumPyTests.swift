import CNZooCore
import CNZooNumPy
import CNZooTestSupport
import Foundation
import Testing

@Suite struct NumPyTests {
    /// A hand-built .npy file: magic, version, header length, header text, data.
    func npy(major: UInt8 = 1, header: String, data: [UInt8]) -> [UInt8] {
        let h = Array(header.utf8)
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [major, 0]
        if major == 1 {
            out += [UInt8(h.count & 0xFF), UInt8(h.count >> 8)]
        } else {
            out += [UInt8(h.count & 0xFF), UInt8((h.count >> 8) & 0xFF), 0, 0]
        }
        return out + h + data
    }

    @Test func roundTrip() throws {
        let values: [Float] = [1, -2.5, .pi, 0, 1e-30, -0.0]
        let a = NumPyArray(shape: [2, 3], float32: values)
        let bytes = try NumPyFormat.encode(a)
        #expect(bytes.count % 64 == 24)  // header padded so data starts 64-byte aligned
        let b = try NumPyFormat.read(bytes: bytes)
        #expect(b.shape == [2, 3])
        #expect(b.dtype == .f32)
        #expect(try b.floats().map(\.bitPattern) == values.map(\.bitPattern))
        for shape in [[Int](), [5], [1, 2, 3, 1]] {
            let n = shape.reduce(1, *)
            let r = try NumPyFormat.read(bytes: NumPyFormat.encode(NumPyArray(shape: shape, float32: (0..<n).map(Float.init))))
            #expect(r.shape == shape)
        }
    }

    @Test func writesAtomicallyAndReadsFromDisk() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let path = dir + "/a.npy"
        try NumPyFormat.write(NumPyArray(shape: [3], float32: [1, 2, 3]), to: path, overwrite: false)
        #expect(try NumPyFormat.read(path: path).floats() == [1, 2, 3])
        #expect(throws: CNZooError.self) { try NumPyFormat.write(NumPyArray(shape: [1], float32: [1]), to: path, overwrite: false) }
    }

    @Test func readsNumPyWrittenFixture() throws {
        // Written by numpy.save in Fixtures/generate_forward.py.
        let a = try NumPyFormat.read(path: TestSupport.fixture("forward/micro_input.npy"))
        #expect(a.dtype == .f32)
        #expect(a.shape == [2, 3, 64, 96])
        let l = try NumPyFormat.read(path: TestSupport.fixture("forward/micro_logits_torchvision.npy"))
        #expect(l.shape == [2, 10])
    }

    @Test func versionsTwoAndThreeAndOtherDTypes() throws {
        let f64 = [Double(1.5), -2].flatMap { v in (0..<8).map { UInt8((v.bitPattern >> (8 * $0)) & 0xFF) } }
        let h = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n"
        for major: UInt8 in [2, 3] {
            let a = try NumPyFormat.read(bytes: npy(major: major, header: h, data: f64))
            #expect(try a.floats() == [1.5, -2])
        }
        let half = try NumPyFormat.read(bytes: npy(header: "{\"descr\":\"<f2\",\"fortran_order\":False,\"shape\":(1,)}", data: [0x00, 0x3C]))
        #expect(try half.floats() == [1])
        let ints = try NumPyFormat.read(bytes: npy(header: "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1), }", data: [1, 0, 0, 0]))
        #expect(ints.dtype == .i32)
        #expect(throws: CNZooError.self) { try ints.floats() }
    }

    @Test(arguments: [
        ("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", "big-endian"),
        ("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", "Fortran"),
        ("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", "dtype"),
        ("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", "unsupported value"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", "non-negative"),
        ("{'descr': '<f4', 'fortran_order': False}", "shape"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", "unsupported value"),
        ("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", "duplicate"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,) ", "expected '}'"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", "too large"),
    ])
    func malformedHeadersAreRefused(_ header: String, _ fragment: String) {
        do {
            _ = try NumPyFormat.read(bytes: npy(header: header, data: [0, 0, 0, 0]))
            Issue.record("accepted \(header)")
        } catch let e as CNZooError {
            #expect(e.description.contains(fragment), "\(e)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func truncationAndTrailingBytesAreRefused() {
        let h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n"
        #expect(throws: CNZooError.self) { try NumPyFormat.read(bytes: npy(header: h, data: [0, 0, 0, 0])) }
        #expect(throws: CNZooError.self) { try NumPyFormat.read(bytes: npy(header: h, data: [UInt8](repeating: 0, count: 9))) }
        #expect(throws: CNZooError.self) { try NumPyFormat.read(bytes: [0x93, 0x4E]) }
        #expect(throws: CNZooError.self) { try NumPyFormat.read(bytes: Array("not numpy at all".utf8)) }
        // Header length pointing past the end.
        #expect(throws: CNZooError.self) { try NumPyFormat.read(bytes: [0x93] + Array("NUMPY".utf8) + [1, 0, 0xFF, 0xFF, 0x7B]) }
        // Unknown version.
        #expect(throws: CNZooError.self) { try NumPyFormat.read(bytes: npy(major: 9, header: h, data: [])) }
        // Header length over the limit (version 2 uses 4 bytes).
        let huge: [UInt8] = [0x93] + Array("NUMPY".utf8) + [2, 0, 0, 0, 0, 0x10]
        #expect(throws: CNZooError.self) { try NumPyFormat.read(bytes: huge) }
    }
}
