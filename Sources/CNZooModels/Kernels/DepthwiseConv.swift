/// Depthwise k×k convolution, stride 1, zero "same" padding (k odd), over NHWC data, with bias.
///
/// The input is first copied into a zero-padded `(H+k-1)×(W+k-1)×C` buffer so the inner loops carry no bounds
/// tests; then each group of 16 channels × 4 output pixels is accumulated in registers (SIMD16 FMA), the
/// 4 pixels sharing every weight load. Channel counts that are not multiples of 16 finish with a scalar tail.
public enum DepthwiseConv {
    /// Convolves one image. `weight` is `[k][k][C]` (tap-major, channels innermost); `padded` must hold
    /// `(h+k-1)·(w+k-1)·c` floats and is overwritten. Rows `rowStart..<rowEnd` of the output are produced.
    public static func apply(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                             height h: Int, width w: Int, channels c: Int, kernel k: Int,
                             weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                             padded: UnsafeMutablePointer<Float>, rows: Range<Int>? = nil, pad doPad: Bool = true) {
        // A literal 7 lets the compiler unroll the tap loops for ConvNeXt's kernel size.
        if k == 7 {
            convolve(input: input, output: output, height: h, width: w, channels: c, kernel: 7, weight: weight,
                     bias: bias, padded: padded, rows: rows, pad: doPad)
        } else {
            convolve(input: input, output: output, height: h, width: w, channels: c, kernel: k, weight: weight,
                     bias: bias, padded: padded, rows: rows, pad: doPad)
        }
    }

    @inline(__always)
    static func convolve(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                         height h: Int, width w: Int, channels c: Int, kernel k: Int,
                         weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                         padded: UnsafeMutablePointer<Float>, rows: Range<Int>?, pad doPad: Bool) {
        let p = k / 2
        let wp = w + 2 * p
        if doPad { Self.pad(input: input, padded: padded, height: h, width: w, channels: c, kernel: k) }
        let c16 = c / 16 * 16
        let w4 = w / 4 * 4
        for y in rows ?? 0..<h {
            var ch = 0
            while ch < c16 {
                let b = load16(bias + ch)
                var x = 0
                while x < w4 {
                    var a0 = b, a1 = b, a2 = b, a3 = b
                    for ky in 0..<k {
                        let row = UnsafePointer(padded) + ((y + ky) * wp + x) * c + ch
                        let wrow = weight + ky * k * c + ch
                        for kx in 0..<k {
                            let wv = load16(wrow + kx * c)
                            let px = row + kx * c
                            a0 += load16(px) * wv
                            a1 += load16(px + c) * wv
                            a2 += load16(px + 2 * c) * wv
                            a3 += load16(px + 3 * c) * wv
                        }
                    }
                    let o = output + (y * w + x) * c + ch
                    store16(o, a0)
                    store16(o + c, a1)
                    store16(o + 2 * c, a2)
                    store16(o + 3 * c, a3)
                    x += 4
                }
                while x < w {
                    var a0 = b
                    for ky in 0..<k {
                        let row = UnsafePointer(padded) + ((y + ky) * wp + x) * c + ch
                        let wrow = weight + ky * k * c + ch
                        for kx in 0..<k { a0 += load16(row + kx * c) * load16(wrow + kx * c) }
                    }
                    store16(output + (y * w + x) * c + ch, a0)
                    x += 1
                }
                ch += 16
            }
            if c16 < c {
                for x in 0..<w {
                    for cc in c16..<c {
                        var acc = bias[cc]
                        for ky in 0..<k {
                            for kx in 0..<k {
                                acc += padded[((y + ky) * wp + x + kx) * c + cc] * weight[(ky * k + kx) * c + cc]
                            }
                        }
                        output[(y * w + x) * c + cc] = acc
                    }
                }
            }
        }
    }

    /// Copies `input` (`h×w×c`) into the middle of `padded` and zeroes the border.
    public static func pad(input: UnsafePointer<Float>, padded: UnsafeMutablePointer<Float>,
                           height h: Int, width w: Int, channels c: Int, kernel k: Int) {
        let p = k / 2
        let wp = w + 2 * p
        let hp = h + 2 * p
        padded.update(repeating: 0, count: p * wp * c)
        (padded + (p + h) * wp * c).update(repeating: 0, count: (hp - p - h) * wp * c)
        for y in 0..<h {
            let dst = padded + ((y + p) * wp) * c
            dst.update(repeating: 0, count: p * c)
            (dst + p * c).update(from: input + y * w * c, count: w * c)
            (dst + (p + w) * c).update(repeating: 0, count: p * c)
        }
    }
}
