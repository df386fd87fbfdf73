import CNZooModels
import Foundation
import Testing

/// Every kernel set this CPU runs (the portable one always), so each test below covers the dispatch targets.
let isaSets: [Kernels] = Kernels.supported.compactMap { Kernels(isa: $0) }

@Suite struct DispatchTests {
    @Test func portableIsAlwaysAvailableAndTheActiveSetIsSupported() {
        #expect(KernelISA.portable.isSupported)
        #expect(Kernels.supported.contains(Kernels.active.isa))
        #expect(Kernels.supported.last == .portable)
        // Without CNZOO_ISA the best level wins; with it, the named one (when supported).
        let requested = ProcessInfo.processInfo.environment["CNZOO_ISA"].flatMap(KernelISA.init(rawValue:))
        if let requested, requested.isSupported {
            #expect(Kernels.active.isa == requested)
        } else {
            #expect(Kernels.active.isa == Kernels.supported.first)
        }
    }
}

@Suite struct ActivationTests {
    func grid(_ lo: Double, _ hi: Double, _ step: Double) -> [Float] {
        stride(from: lo, through: hi, by: step).map { Float($0) }
    }

    @Test(arguments: isaSets) func erfMatchesDoubleErf(_ k: Kernels) {
        let x = grid(-6, 6, 1.0 / 1024)
        let got = k.math(.erf, x)
        let worst = zip(x, got).map { abs(Double($1) - Foundation.erf(Double($0))) }.max()!
        #expect(worst < 5e-7, "\(k.isa): max abs erf error \(worst)")
    }

    @Test(arguments: isaSets) func expMatchesDoubleExp(_ k: Kernels) {
        let x = grid(-80, 80, 1.0 / 64)
        let got = k.math(.exp, x)
        let worst = zip(x, got).map { let w = Foundation.exp(Double($0)); return abs(Double($1) - w) / w }.max()!
        #expect(worst < 3e-7, "\(k.isa): max relative exp error \(worst)")
    }

    @Test(arguments: isaSets) func geluFormsMatchDoubleFormulas(_ k: Kernels) {
        let x = grid(-10, 10, 1.0 / 512)
        let e = k.math(.geluErf, x), t = k.math(.geluTanh, x)
        var worstErf: Double = 0, worstTanh: Double = 0
        for (i, xf) in x.map(Double.init).enumerated() {
            let erfRef = 0.5 * xf * (1 + Foundation.erf(xf / 2.0.squareRoot()))
            let tanhRef = 0.5 * xf * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (xf + 0.044715 * xf * xf * xf)))
            worstErf = max(worstErf, abs(Double(e[i]) - erfRef))
            worstTanh = max(worstTanh, abs(Double(t[i]) - tanhRef))
        }
        #expect(worstErf < 2e-6, "\(k.isa): erf GELU max abs error \(worstErf)")
        #expect(worstTanh < 2e-6, "\(k.isa): tanh GELU max abs error \(worstTanh)")
    }
}

/// The epilogue in Double: bias, activation, post affine (BatchNorm / layer scale); residual handled by callers.
func referenceEpilogue(_ v: Double, col j: Int, bias: [Float]?, activation: KernelActivation, scale: [Float]?,
                       shift: [Float]?) -> Double {
    var x = v + Double(bias?[j] ?? 0)
    switch activation {
    case .none: break
    case .relu: x = max(x, 0)
    case .geluErf: x = 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))
    case .geluTanh: x = 0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
    }
    return x * Double(scale?[j] ?? 1) + Double(shift?[j] ?? 0)
}

@Suite struct RowPassTests {
    /// 3 rows × 21 columns: vector chunks plus a tail on every ISA; every activation, with and without BatchNorm
    /// and residual.
    @Test(arguments: isaSets) func epilogueMatchesReference(_ k: Kernels) {
        let rows = 3, cols = 21
        let x = (0..<(rows * cols)).map { Float($0 % 11) * 0.37 - 1.9 }
        let bias = (0..<cols).map { Float($0) * 0.01 }
        let scale = (0..<cols).map { 1 + Float($0) * 0.02 }, shift = (0..<cols).map { Float($0) * -0.03 }
        let res = (0..<(rows * cols)).map { Float($0) * 0.001 }
        for act in [KernelActivation.none, .relu, .geluErf, .geluTanh] {
            for bn in [false, true] {
                for withResidual in [false, true] {
                    var y = [Float](repeating: .nan, count: rows * cols)
                    var r = res
                    bias.withUnsafeBufferPointer { b in scale.withUnsafeBufferPointer { s in shift.withUnsafeBufferPointer { t in
                        r.withUnsafeMutableBufferPointer { rp in y.withUnsafeMutableBufferPointer { yp in
                            let e = KernelEpilogue(bias: b.baseAddress, activation: act, postScale: bn ? s.baseAddress : nil,
                                                   postShift: bn ? t.baseAddress : nil,
                                                   residual: withResidual ? rp.baseAddress : nil)
                            k.rows(x, yp.baseAddress!, rows: rows, cols: cols, epilogue: e)
                        } }
                    } } }
                    for i in 0..<(rows * cols) {
                        let want = referenceEpilogue(Double(x[i]), col: i % cols, bias: bias, activation: act,
                                                     scale: bn ? scale : nil, shift: bn ? shift : nil)
                            + (withResidual ? Double(res[i]) : 0)
                        #expect(abs(Double(y[i]) - want) < 3e-6, "\(k.isa) \(act) bn \(bn) residual \(withResidual) at \(i)")
                    }
                }
            }
        }
    }

    @Test(arguments: isaSets) func averagePoolMatchesReference(_ k: Kernels) {
        let (n, hw, c) = (2, 7, 37)
        var rng = LCG(seed: 5)
        let x = (0..<(n * hw * c)).map { _ in rng.next() }
        var out = [Float](repeating: .nan, count: n * c)
        out.withUnsafeMutableBufferPointer { k.averagePool(x, $0.baseAddress!, batch: n, positions: hw, channels: c) }
        for b in 0..<n { for j in 0..<c {
            let want = (0..<hw).map { Double(x[(b * hw + $0) * c + j]) }.reduce(0, +) / Double(hw)
            #expect(abs(Double(out[b * c + j]) - want) < 1e-6)
        } }
    }

    @Test func batchNormFoldsIntoScaleAndShift() {
        let (scale, shift) = KernelLayout.foldBatchNorm(gamma: [2, 1], beta: [0.5, -1], mean: [1, 3], variance: [3, 0],
                                                        eps: 1)
        #expect(scale == [1, 1])
        #expect(shift == [-0.5, -4])
    }
}

@Suite struct LayerNormTests {
    @Test(arguments: isaSets) func matchesDoubleReference(_ k: Kernels) {
        for c in [8, 16, 37, 96] {
            let rows = 5
            var rng = LCG(seed: UInt64(c))
            let x = (0..<(rows * c)).map { _ in rng.next() * 3 + 1 }
            let w = (0..<c).map { _ in 1 + rng.next() * 0.1 }
            let b = (0..<c).map { _ in rng.next() * 0.1 }
            var y = [Float](repeating: 0, count: rows * c)
            y.withUnsafeMutableBufferPointer { yp in
                k.layerNorm(x, yp.baseAddress!, rows: rows, channels: c, weight: w, bias: b, eps: 1e-6)
            }
            for r in 0..<rows {
                let row = x[(r * c)..<((r + 1) * c)].map(Double.init)
                let mean = row.reduce(0, +) / Double(c)
                let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(c)
                for j in 0..<c {
                    let want = (row[j] - mean) / (variance + 1e-6).squareRoot() * Double(w[j]) + Double(b[j])
                    #expect(abs(Double(y[r * c + j]) - want) < 1e-5, "\(k.isa) c=\(c) row \(r) col \(j)")
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

    /// Shapes cover channel tails on every vector width, images narrower than the kernel, ConvMixer's 9×9 on a
    /// 32-wide grid (reduced), kernel sizes without a specialised path (1, 11), and — with odd heights split in two —
    /// row ranges of odd start and length (AVX-512 computes output rows in pairs, then a single last row).
    static let shapes = [(7, 9, 16, 7), (8, 8, 40, 7), (5, 6, 8, 3), (4, 13, 33, 7), (6, 32, 20, 9), (3, 4, 24, 9),
                         (5, 7, 18, 5), (4, 5, 17, 11), (3, 3, 5, 1)]

    @Test(arguments: isaSets) func matchesNaive(_ kern: Kernels) {
        for (h, w, c, k) in Self.shapes {
            var rng = LCG(seed: UInt64(h * 1000 + w * 10 + c))
            let x = (0..<(h * w * c)).map { _ in rng.next() }
            let weight = (0..<(k * k * c)).map { _ in rng.next() * 0.2 }
            let bias = (0..<c).map { _ in rng.next() }
            let want = naive(x, h: h, w: w, c: c, k: k, weight: weight, bias: bias)
            for parts in [1, 2] {
                var out = [Float](repeating: .nan, count: h * w * c)
                out.withUnsafeMutableBufferPointer { op in
                    bias.withUnsafeBufferPointer { bp in
                        for part in 0..<parts {
                            kern.depthwise(input: x, output: op.baseAddress!, height: h, width: w, channels: c, kernel: k,
                                           weight: weight, rows: (h * part / parts)..<(h * (part + 1) / parts),
                                           epilogue: KernelEpilogue(bias: bp.baseAddress))
                        }
                    }
                }
                let worst = zip(out, want).map { abs(Double($0) - $1) }.max() ?? .infinity
                #expect(worst < 1e-5, "\(kern.isa) h\(h) w\(w) c\(c) k\(k) parts \(parts): max diff \(worst)")
            }
        }
    }

    /// The channel-plane kernel (ConvMixer's wide layers) gives the row kernel's results — exactly on full channel
    /// vectors (same sums, same order) — for every specialised k, channel tails, images narrower than the kernel, and a fused epilogue with a
    /// residual; its 16-channel tasks may run in any order.
    /// ConvMixer's block: x + BatchNorm(GELU(dwconv(x) + bias)) in one pass.
    @Test(arguments: isaSets) func fusedGELUBatchNormResidual(_ kern: Kernels) {
        let (h, w, c, k) = (6, 10, 21, 9)
        var rng = LCG(seed: 9)
        let x = (0..<(h * w * c)).map { _ in rng.next() }
        let weight = (0..<(k * k * c)).map { _ in rng.next() * 0.2 }
        let bias = (0..<c).map { _ in rng.next() }
        let scale = (0..<c).map { _ in 1 + rng.next() * 0.5 }, shift = (0..<c).map { _ in rng.next() }
        let conv = naive(x, h: h, w: w, c: c, k: k, weight: weight, bias: bias)
        var out = [Float](repeating: .nan, count: h * w * c)
        var residual = x
        out.withUnsafeMutableBufferPointer { op in
            residual.withUnsafeMutableBufferPointer { rp in
                scale.withUnsafeBufferPointer { s in shift.withUnsafeBufferPointer { t in bias.withUnsafeBufferPointer { b in
                    kern.depthwise(input: x, output: op.baseAddress!, height: h, width: w, channels: c, kernel: k,
                                   weight: weight, rows: 0..<h,
                                   epilogue: KernelEpilogue(bias: b.baseAddress, activation: .geluErf,
                                                            postScale: s.baseAddress, postShift: t.baseAddress,
                                                            residual: rp.baseAddress))
                } } }
            }
        }
        for i in 0..<(h * w * c) {
            let want = referenceEpilogue(conv[i], col: i % c, bias: nil, activation: .geluErf, scale: scale, shift: shift)
                + Double(x[i])
            #expect(abs(Double(out[i]) - want) < 1e-5, "\(kern.isa) at \(i)")
        }
    }
}

@Suite struct GemmTests {
    func naive(_ a: [Float], _ w: [Float], m: Int, n: Int, k: Int) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var acc = 0.0
            for t in 0..<k { acc += Double(a[i * k + t]) * Double(w[j * k + t]) }
            c[i * n + j] = acc
        } }
        return c
    }

    @Test func openBLASMatchesNaive() {
        let m = 7, n = 5, k = 19
        var rng = LCG(seed: 3)
        let a = (0..<(m * k)).map { _ in rng.next() }
        let wt = (0..<(n * k)).map { _ in rng.next() }
        var c = [Float](repeating: .nan, count: m * n)
        c.withUnsafeMutableBufferPointer { Gemm.linear(a, wt, $0.baseAddress!, m: m, n: n, k: k) }
        let want = naive(a, wt, m: m, n: n, k: k)
        #expect(zip(c, want).allSatisfy { abs(Double($0) - $1) < 1e-5 })
        #expect(!Gemm.coreName.isEmpty)
    }

    /// Every ISA's packed kernel against a Double reference: row tails (m not a multiple of any register block),
    /// partial panels (n not a multiple of 32 or of the vector width), K blocking (k > 384) and the split over
    /// 2 threads (by rows, and by panels for few rows); nothing written past the output.
    @Test(arguments: isaSets) func ownKernelCoversKBlocksAndTails(_ kern: Kernels) throws {
        for (m, n, k) in [(13, 45, 600), (8, 32, 512), (1, 1000, 768), (70, 96, 1537), (3, 7, 5), (29, 20, 48)] {
            var rng = LCG(seed: UInt64(m * n + k))
            let a = (0..<(m * k)).map { _ in rng.next() }
            let w = (0..<(n * k)).map { _ in rng.next() }
            let want = naive(a, w, m: m, n: n, k: k)
            for threads in [1, 2] {
                // Sentinels after the output catch stores past the last column.
                var got = [Float](repeating: .nan, count: m * n + 16)
                got[(m * n)...].withUnsafeMutableBufferPointer { $0.update(repeating: 12345) }
                got.withUnsafeMutableBufferPointer {
                    GemmTesting.ownKernel(w, n: n, k: k, a: a, c: $0.baseAddress!, m: m, threads: threads, kernels: kern)
                }
                let worst = zip(got.prefix(m * n), want).map { abs(Double($0) - $1) }.max() ?? .infinity
                #expect(worst < 1e-4, "\(kern.isa) m\(m) n\(n) k\(k) threads \(threads): max diff \(worst)")
                #expect(got[(m * n)...].allSatisfy { $0 == 12345 })
            }
        }
    }

    /// The fused epilogues: bias only, bias + ReLU, bias + GELU (both forms), BatchNorm after the activation, and
    /// the scaled residual (written into the residual, across K blocks).
    /// Channel-blocked A and C (NCHW16c, as ConvMixer runs) give the row-major result bit for bit: the same sums
    /// in the same order, on every ISA, across K blocks, K chunks that start inside a block of 16 (k not a multiple
    /// of 16), partial last blocks of columns, and both thread splits; the residual is read and written blocked too.
    @Test(arguments: isaSets) func channelBlockedLayoutsMatchRowMajorBitForBit(_ kern: Kernels) {
        for (m, n, k) in [(26, 48, 64), (13, 45, 600), (70, 96, 1537), (5, 20, 147), (1, 768, 768), (200, 40, 40)] {
            var rng = LCG(seed: UInt64(3 * m + n * k))
            let a = (0..<(m * k)).map { _ in rng.next() }
            let w = (0..<(n * k)).map { _ in rng.next() }
            let bias = (0..<n).map { _ in rng.next() }, res0 = (0..<(m * n)).map { _ in rng.next() }
            let la = MatrixLayout.channelBlocked(rows: m)
            let blocksK = (k + 15) / 16, blocksN = (n + 15) / 16
            var aBlocked = [Float](repeating: .nan, count: blocksK * la.blockStride)
            for r in 0..<m { for j in 0..<k { aBlocked[la.offset(row: r, column: j)] = a[r * k + j] } }
            for threads in [1, 2] {
                var rowRes = res0, rowOut = [Float](repeating: .nan, count: m * n)
                var blkRes = [Float](repeating: .nan, count: blocksN * la.blockStride), blkOut = blkRes
                for r in 0..<m { for j in 0..<n { blkRes[la.offset(row: r, column: j)] = res0[r * n + j] } }
                bias.withUnsafeBufferPointer { b in
                    rowRes.withUnsafeMutableBufferPointer { rr in rowOut.withUnsafeMutableBufferPointer { ro in
                        GemmTesting.ownKernel(w, n: n, k: k, a: a, c: ro.baseAddress!, m: m, threads: threads, kernels: kern,
                                              epilogue: KernelEpilogue(bias: b.baseAddress, activation: .relu,
                                                                       residual: rr.baseAddress))
                    } }
                    blkRes.withUnsafeMutableBufferPointer { br in blkOut.withUnsafeMutableBufferPointer { bo in
                        GemmTesting.ownKernel(w, n: n, k: k, a: aBlocked, c: bo.baseAddress!, m: m, threads: threads,
                                              kernels: kern,
                                              epilogue: KernelEpilogue(bias: b.baseAddress, activation: .relu,
                                                                       residual: br.baseAddress),
                                              aLayout: la, cLayout: la)
                    } }
                }
                var mismatches = 0
                for r in 0..<m { for j in 0..<n where blkRes[la.offset(row: r, column: j)] != rowRes[r * n + j] {
                    mismatches += 1
                } }
                #expect(mismatches == 0, "\(kern.isa) m\(m) n\(n) k\(k) threads \(threads): \(mismatches) values differ")
                // Without a residual the product lands in C itself, laid out blocked.
                var plain = [Float](repeating: .nan, count: m * n)
                var blocked = [Float](repeating: .nan, count: blocksN * la.blockStride)
                plain.withUnsafeMutableBufferPointer {
                    GemmTesting.ownKernel(w, n: n, k: k, a: a, c: $0.baseAddress!, m: m, threads: threads, kernels: kern)
                }
                blocked.withUnsafeMutableBufferPointer {
                    GemmTesting.ownKernel(w, n: n, k: k, a: aBlocked, c: $0.baseAddress!, m: m, threads: threads,
                                          kernels: kern, aLayout: la, cLayout: la)
                }
                #expect((0..<m).allSatisfy { r in (0..<n).allSatisfy { blocked[la.offset(row: r, column: $0)] == plain[r * n + $0] } })
            }
        }
    }

    @Test(arguments: isaSets) func fusedEpiloguesMatchReference(_ kern: Kernels) {
        let (m, n, k) = (17, 40, 400)
        var rng = LCG(seed: 77)
        let a = (0..<(m * k)).map { _ in rng.next() * 0.2 }
        let w = (0..<(n * k)).map { _ in rng.next() * 0.2 }
        let bias = (0..<n).map { _ in rng.next() }
        let scale = (0..<n).map { _ in 1 + rng.next() * 0.5 }, shift = (0..<n).map { _ in rng.next() }
        let res0 = (0..<(m * n)).map { _ in rng.next() }
        let plain = naive(a, w, m: m, n: n, k: k)
        let cases: [(KernelActivation, Bool, Bool)] = [(.none, false, false), (.relu, false, false),
                                                       (.geluErf, false, false), (.geluTanh, true, false),
                                                       (.none, true, true)]
        for (act, bn, withResidual) in cases {
            for threads in [1, 2] {
                var c = [Float](repeating: .nan, count: m * n)
                var res = res0
                bias.withUnsafeBufferPointer { b in scale.withUnsafeBufferPointer { s in shift.withUnsafeBufferPointer { t in
                    res.withUnsafeMutableBufferPointer { rp in c.withUnsafeMutableBufferPointer { cp in
                        let e = KernelEpilogue(bias: b.baseAddress, activation: act, postScale: bn ? s.baseAddress : nil,
                                               postShift: bn && !withResidual ? t.baseAddress : nil,
                                               residual: withResidual ? rp.baseAddress : nil)
                        GemmTesting.ownKernel(w, n: n, k: k, a: a, c: cp.baseAddress!, m: m, threads: threads,
                                              kernels: kern, epilogue: e)
                    } }
                } } }
                let got = withResidual ? res : c
                for i in 0..<(m * n) {
                    let want = referenceEpilogue(plain[i], col: i % n, bias: bias, activation: act, scale: bn ? scale : nil,
                                                 shift: bn && !withResidual ? shift : nil) + (withResidual ? Double(res0[i]) : 0)
                    #expect(abs(Double(got[i]) - want) < 1e-4, "\(kern.isa) \(act) bn \(bn) residual \(withResidual)")
                }
            }
        }
    }
}

/// The portable C path must stay portable: the kernel sources compile for arm64 (with only freestanding headers),
/// using the toolchain's clang.
@Suite struct PortabilityTests {
    static let clang: String? = {
        let candidates = [ProcessInfo.processInfo.environment["CNZOO_CLANG"], "/opt/swift/usr/bin/clang", "/usr/bin/clang"]
        return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static let sources: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources/CNZooKernelsC").standardizedFileURL

    @Test(.enabled(if: clang != nil, "no clang found (set CNZOO_CLANG)"))
    func kernelSourcesCompileForArm64() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.sources.path).filter { $0.hasSuffix(".c") }.sorted()
        #expect(files.contains("isa_portable.c") && files.contains("dispatch.c"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.clang!)
        p.currentDirectoryURL = Self.sources
        p.arguments = ["--target=aarch64-linux-gnu", "-ffreestanding", "-fsyntax-only", "-Werror", "-Wall", "-Iinclude"] + files
        let err = Pipe()
        p.standardError = err
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(message)")
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
