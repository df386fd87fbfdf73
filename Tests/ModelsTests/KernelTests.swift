import CNZooModels
import Foundation
import Testing

@Suite struct ActivationTests {
    @Test func erfMatchesDoubleErf() {
        var worst: Double = 0
        var x = -6.0
        while x <= 6.0 {
            let v = SIMD16<Float>(repeating: Float(x))
            let got = Double(Activation.erf(v)[0])
            worst = max(worst, abs(got - Foundation.erf(Double(Float(x)))))
            #expect(Double(Activation.erf(Float(x))) == got)
            x += 1.0 / 1024
        }
        #expect(worst < 5e-7, "max abs erf error \(worst)")
    }

    @Test func expMatchesDoubleExp() {
        var worst: Double = 0
        var x = -80.0
        while x <= 80.0 {
            let got = Double(Activation.exp(Float(x)))
            let want = Foundation.exp(Double(Float(x)))
            worst = max(worst, abs(got - want) / want)
            x += 1.0 / 64
        }
        #expect(worst < 3e-7, "max relative exp error \(worst)")
    }

    @Test func geluFormsMatchDoubleFormulas() {
        var worstErf: Double = 0, worstTanh: Double = 0
        var x = -10.0
        while x <= 10.0 {
            let xf = Double(Float(x))
            let erfRef = 0.5 * xf * (1 + Foundation.erf(xf / 2.0.squareRoot()))
            let tanhRef = 0.5 * xf * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (xf + 0.044715 * xf * xf * xf)))
            let v = SIMD16<Float>(repeating: Float(x))
            worstErf = max(worstErf, abs(Double(Activation.geluErf(v)[0]) - erfRef))
            worstTanh = max(worstTanh, abs(Double(Activation.geluTanh(v)[0]) - tanhRef))
            x += 1.0 / 512
        }
        #expect(worstErf < 2e-6, "erf GELU max abs error \(worstErf)")
        #expect(worstTanh < 2e-6, "tanh GELU max abs error \(worstTanh)")
    }

    @Test func biasGELUHandlesTails() {
        // 3 rows × 21 columns: one SIMD16 chunk plus a 5-wide scalar tail per row.
        let rows = 3, cols = 21
        var h = (0..<(rows * cols)).map { Float($0 % 11) * 0.37 - 1.9 }
        let bias = (0..<cols).map { Float($0) * 0.01 }
        let before = h
        h.withUnsafeMutableBufferPointer { hp in
            bias.withUnsafeBufferPointer { Activation.biasGELU(hp.baseAddress!, rows: rows, cols: cols, bias: $0.baseAddress!, form: .erf) }
        }
        for i in 0..<(rows * cols) {
            let x = Double(before[i] + bias[i % cols])
            let want = 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))
            #expect(abs(Double(h[i]) - want) < 2e-6)
        }
    }
}

@Suite struct LayerNormTests {
    @Test func matchesDoubleReference() {
        for c in [8, 16, 37, 96] {
            let rows = 5
            var rng = LCG(seed: UInt64(c))
            let x = (0..<(rows * c)).map { _ in rng.next() * 3 + 1 }
            let w = (0..<c).map { _ in 1 + rng.next() * 0.1 }
            let b = (0..<c).map { _ in rng.next() * 0.1 }
            var y = [Float](repeating: 0, count: rows * c)
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    w.withUnsafeBufferPointer { wp in
                        b.withUnsafeBufferPointer { bp in
                            LayerNormKernel.apply(xp.baseAddress!, yp.baseAddress!, rows: rows, channels: c,
                                                  weight: wp.baseAddress!, bias: bp.baseAddress!, eps: 1e-6)
                        }
                    }
                }
            }
            for r in 0..<rows {
                let row = x[(r * c)..<((r + 1) * c)].map(Double.init)
                let mean = row.reduce(0, +) / Double(c)
                let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(c)
                for j in 0..<c {
                    let want = (row[j] - mean) / (variance + 1e-6).squareRoot() * Double(w[j]) + Double(b[j])
                    #expect(abs(Double(y[r * c + j]) - want) < 1e-5, "c=\(c) row \(r) col \(j)")
                }
            }
        }
    }
}

@Suite struct DepthwiseConvTests {
    /// Naive zero-padded depthwise conv in Double, NHWC, weight [k][k][C].
    func naive(_ x: [Float], h: Int, w: Int, c: Int, k: Int, weight: [Float], bias: [Float]) -> [Double] {
        var out = [Double](repeating: 0, count: h * w * c)
        let p = k / 2
        for y in 0..<h { for xx in 0..<w { for ch in 0..<c {
            var acc = Double(bias[ch])
            for ky in 0..<k { for kx in 0..<k {
                let iy = y + ky - p, ix = xx + kx - p
                if iy >= 0, iy < h, ix >= 0, ix < w {
                    acc += Double(x[(iy * w + ix) * c + ch]) * Double(weight[(ky * k + kx) * c + ch])
                }
            } }
            out[(y * w + xx) * c + ch] = acc
        } } }
        return out
    }

    @Test(arguments: [(7, 9, 16, 7), (8, 8, 40, 7), (5, 6, 8, 3), (4, 13, 33, 7)])
    func matchesNaive(_ shape: (Int, Int, Int, Int)) {
        let (h, w, c, k) = shape
        var rng = LCG(seed: UInt64(h * 1000 + w * 10 + c))
        let x = (0..<(h * w * c)).map { _ in rng.next() }
        let weight = (0..<(k * k * c)).map { _ in rng.next() * 0.2 }
        let bias = (0..<c).map { _ in rng.next() }
        let want = naive(x, h: h, w: w, c: c, k: k, weight: weight, bias: bias)
        for threads in [1, 2] {
            var out = [Float](repeating: .nan, count: h * w * c)
            var padded = [Float](repeating: .nan, count: (h + k - 1) * (w + k - 1) * c)
            x.withUnsafeBufferPointer { xp in
                out.withUnsafeMutableBufferPointer { op in
                    padded.withUnsafeMutableBufferPointer { pp in
                        weight.withUnsafeBufferPointer { wp in
                            bias.withUnsafeBufferPointer { bp in
                                DepthwiseConv.pad(input: xp.baseAddress!, padded: pp.baseAddress!, height: h, width: w,
                                                  channels: c, kernel: k)
                                for part in 0..<threads {
                                    DepthwiseConv.apply(input: xp.baseAddress!, output: op.baseAddress!, height: h,
                                                        width: w, channels: c, kernel: k, weight: wp.baseAddress!,
                                                        bias: bp.baseAddress!, padded: pp.baseAddress!,
                                                        rows: (h * part / threads)..<(h * (part + 1) / threads), pad: false)
                                }
                            }
                        }
                    }
                }
            }
            let worst = zip(out, want).map { abs(Double($0) - $1) }.max() ?? .infinity
            #expect(worst < 1e-5, "h\(h) w\(w) c\(c) k\(k) parts \(threads): max diff \(worst)")
        }
    }
}

@Suite struct GemmTests {
    @Test func linearMatchesNaive() {
        let m = 7, n = 5, k = 19
        var rng = LCG(seed: 3)
        let a = (0..<(m * k)).map { _ in rng.next() }
        let wt = (0..<(n * k)).map { _ in rng.next() }
        var c = [Float](repeating: .nan, count: m * n)
        a.withUnsafeBufferPointer { ap in
            wt.withUnsafeBufferPointer { wp in
                c.withUnsafeMutableBufferPointer { Gemm.linear(ap.baseAddress!, wp.baseAddress!, $0.baseAddress!, m: m, n: n, k: k) }
            }
        }
        for i in 0..<m { for j in 0..<n {
            var acc = 0.0
            for t in 0..<k { acc += Double(a[i * k + t]) * Double(wt[j * k + t]) }
            #expect(abs(Double(c[i * n + j]) - acc) < 1e-5)
        } }
        #expect(!Gemm.coreName.isEmpty)
    }

    /// cnzoo's packed AVX-512 kernel against OpenBLAS: row tails (m not a multiple of 8), column masks (n not a
    /// multiple of 32), K blocking (k > 512) and the split over 2 threads; nothing written past the output.
    @Test func ownKernelCoversKBlocksAndTails() throws {
        guard GemmEngine.ownKernelAvailable else { return }
        for (m, n, k) in [(13, 45, 600), (8, 32, 512), (1, 1000, 768), (70, 96, 1537), (3, 7, 5)] {
            var rng = LCG(seed: UInt64(m * n + k))
            let a = (0..<(m * k)).map { _ in rng.next() }
            let w = (0..<(n * k)).map { _ in rng.next() }
            var want = [Float](repeating: 0, count: m * n)
            a.withUnsafeBufferPointer { ap in
                w.withUnsafeBufferPointer { wp in
                    want.withUnsafeMutableBufferPointer { Gemm.linear(ap.baseAddress!, wp.baseAddress!, $0.baseAddress!, m: m, n: n, k: k) }
                }
            }
            for threads in [1, 2] {
                // Sentinels after the output catch stores past the last column.
                var got = [Float](repeating: .nan, count: m * n + 16)
                got[(m * n)...].withUnsafeMutableBufferPointer { $0.update(repeating: 12345) }
                a.withUnsafeBufferPointer { ap in
                    got.withUnsafeMutableBufferPointer {
                        GemmTesting.ownKernel(w, n: n, k: k, a: ap.baseAddress!, c: $0.baseAddress!, m: m, threads: threads)
                    }
                }
                let worst = zip(got.prefix(m * n), want).map { abs($0 - $1) }.max() ?? .infinity
                #expect(worst < 1e-4, "m\(m) n\(n) k\(k) threads \(threads): max diff \(worst)")
                #expect(got[(m * n)...].allSatisfy { $0 == 12345 })
            }
        }
    }
}

@Suite struct WideningTests {
    @Test func halfToFloatIsExactForEveryBitPattern() {
        for bits in UInt16.min...UInt16.max {
            let want = Float(Float16(bitPattern: bits))
            let got = WeightWidening.halfToFloat(bits)
            if want.isNaN {
                #expect(got.isNaN)
            } else {
                #expect(got.bitPattern == want.bitPattern, "bits \(String(bits, radix: 16))")
            }
        }
    }
}

/// A tiny deterministic generator for test data (values in [-1, 1)).
struct LCG {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> Float {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
    }
}
