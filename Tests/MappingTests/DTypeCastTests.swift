import CNZooCore
import CNZooMapping
import CNZooTestSupport
import Foundation
import Testing

/// Round-to-nearest-even casts against vectors numpy and torch produced (Fixtures/generate_mapping.py).
@Suite struct DTypeCastTests {
    static let vectors: [String: Any] = {
        let data = (try? TestSupport.readFile(TestSupport.fixture("mapping/rne_vectors.json"))) ?? []
        return (try? JSONSerialization.jsonObject(with: Data(data)) as? [String: Any]) ?? [:]
    }()

    static func pairs(_ key: String) -> [(UInt64, UInt64)] {
        ((vectors[key] as? [[String]]) ?? []).map { (UInt64($0[0], radix: 16)!, UInt64($0[1], radix: 16)!) }
    }

    @Test(arguments: [("f32_to_f16", DType.f32, DType.f16), ("f32_to_bf16", .f32, .bf16), ("f16_to_f32", .f16, .f32),
                      ("bf16_to_f32", .bf16, .f32), ("f64_to_f32", .f64, .f32)])
    func matchesPeerVectors(_ key: String, _ from: DType, _ to: DType) throws {
        let cases = Self.pairs(key)
        #expect(cases.count > 200)
        var bad: [String] = []
        for (input, expected) in cases {
            let got = DTypeCast.fromDouble(DTypeCast.toDouble(input, from: from), to: to)
            if got != expected { bad.append(String(input, radix: 16) + "→" + String(got, radix: 16) + " want " + String(expected, radix: 16)) }
        }
        #expect(bad.isEmpty, "\(bad.count) mismatches: \(bad.prefix(5))")
    }

    @Test func nanStaysNaN() throws {
        for hex in (Self.vectors["nan_f32"] as? [String]) ?? [] {
            let bits = try #require(UInt64(hex, radix: 16))
            let d = DTypeCast.toDouble(bits, from: .f32)
            #expect(d.isNaN)
            let h = DTypeCast.fromDouble(d, to: .f16)
            #expect(h & 0x7C00 == 0x7C00 && h & 0x03FF != 0)
            let b = DTypeCast.fromDouble(d, to: .bf16)
            #expect(b & 0x7F80 == 0x7F80 && b & 0x007F != 0)
            #expect((h >> 15) == (bits >> 31) && (b >> 15) == (bits >> 31))
        }
    }

    @Test func castIsLazyAndOnlyForFloats() throws {
        let f = TensorEntry(name: "w", dtype: .f32, shape: [2], data: .bytes([0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0]))
        let h = DTypeCast.cast(f, to: .f16)
        #expect(h.dtype == .f16 && h.byteCount == 4)
        #expect(try h.data.readAll() == [0x00, 0x3C, 0x00, 0xC0])
        let i = TensorEntry(name: "n", dtype: .i64, shape: [], data: .bytes([UInt8](repeating: 0, count: 8)))
        #expect(DTypeCast.cast(i, to: .f16).dtype == .i64)
    }
}
