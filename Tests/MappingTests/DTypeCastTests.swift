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

    /// The bulk converter (with its integer fast path for f32 → bf16) gives the same bits as the vectors.
    @Test(arguments: [("f32_to_f16", DType.f32, DType.f16), ("f32_to_bf16", .f32, .bf16), ("f16_to_f32", .f16, .f32),
                      ("bf16_to_f32", .bf16, .f32), ("f64_to_f32", .f64, .f32)])
    func bulkConversionMatchesVectors(_ key: String, _ from: DType, _ to: DType) throws {
        let cases = Self.pairs(key)
        let inW = try #require(from.byteWidth), outW = try #require(to.byteWidth)
        var input: [UInt8] = []
        for (x, _) in cases { for k in 0..<inW { input.append(UInt8(truncatingIfNeeded: x >> UInt64(8 * k))) } }
        let out = input.withUnsafeBytes { DTypeCast.convert($0, from: from, to: to) }
        #expect(out.count == cases.count * outW)
        var bad = 0
        for (i, (_, want)) in cases.enumerated() {
            var got: UInt64 = 0
            for k in 0..<outW { got |= UInt64(out[i * outW + k]) << UInt64(8 * k) }
            if got != want { bad += 1 }
        }
        #expect(bad == 0)
        // NaNs through the bulk path stay NaN with their sign.
        let nans: [UInt32] = [0x7FC0_0000, 0xFFC0_0000, 0x7F80_0001]
        let nanBytes = nans.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> UInt32(8 * $0)) } }
        let b = nanBytes.withUnsafeBytes { DTypeCast.convert($0, from: .f32, to: .bf16) }
        for (i, v) in nans.enumerated() {
            let h = UInt16(b[2 * i]) | UInt16(b[2 * i + 1]) << 8
            #expect(h & 0x7F80 == 0x7F80 && h & 0x7F != 0 && (h >> 15) == UInt16(v >> 31))
        }
    }

    /// The bulk f32 ⇄ f16 fast paths give exactly the bits of the generic `fromDouble(toDouble(…))` path: every
    /// f16 value, and f32 values spread over the whole bit range plus the rounding and overflow edges.
    @Test func halfFastPathsEqualTheGenericPath() throws {
        let halves = (0...0xFFFF).map { UInt16($0) }
        let wide = halves.withUnsafeBytes { DTypeCast.convert($0, from: .f16, to: .f32) }
        var bad: [String] = []
        for (i, h) in halves.enumerated() {
            let want = UInt32(DTypeCast.fromDouble(DTypeCast.toDouble(UInt64(h), from: .f16), to: .f32))
            let got = wide.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self) }
            if got != want { bad.append(String(h, radix: 16)) }
        }
        var floats: [UInt32] = stride(from: 0, to: 0xFFFF_FFFF as UInt64, by: 4099).map { UInt32($0) }
        for base: UInt32 in [0x3380_0000, 0x3300_0000, 0x387F_E000, 0x3880_0000, 0x477F_E000, 0x477F_F000, 0x4780_0000,
                             0x7F80_0000, 0x7F80_0001, 0x7FC0_0000, 0x0000_0001] {
            for d in 0..<4096 as Range<UInt32> { floats += [base &+ d, base &- d, (base &+ d) | 0x8000_0000] }
        }
        let narrow = floats.withUnsafeBytes { DTypeCast.convert($0, from: .f32, to: .f16) }
        for (i, f) in floats.enumerated() {
            let want = UInt16(DTypeCast.fromDouble(DTypeCast.toDouble(UInt64(f), from: .f32), to: .f16))
            let got = narrow.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self) }
            if got != want { bad.append(String(f, radix: 16)) }
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
