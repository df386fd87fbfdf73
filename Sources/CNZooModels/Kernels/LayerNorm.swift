/// LayerNorm over the innermost (channel) axis of row-major `[rows, C]` data: `(x - mean) / sqrt(var + eps) · w + b`
/// with the biased variance, as torch and MindSpore compute it. Mean and variance are two-pass for accuracy.
public enum LayerNormKernel {
    /// Normalises each row of `x` into `y` (which may alias `x`).
    public static func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, channels c: Int,
                             weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, eps: Float) {
        let c16 = c / 16 * 16
        let invC = 1 / Float(c)
        for r in 0..<rows {
            let xr = x + r * c
            let yr = y + r * c
            var acc = SIMD16<Float>()
            var j = 0
            while j < c16 { acc += load16(xr + j); j += 16 }
            var sum = acc.sum()
            while j < c { sum += xr[j]; j += 1 }
            let mean = sum * invC
            let m16 = SIMD16<Float>(repeating: mean)
            var vacc = SIMD16<Float>()
            j = 0
            while j < c16 { let d = load16(xr + j) - m16; vacc += d * d; j += 16 }
            var ss = vacc.sum()
            while j < c { let d = xr[j] - mean; ss += d * d; j += 1 }
            let rstd = 1 / (ss * invC + eps).squareRoot()
            let s16 = SIMD16<Float>(repeating: rstd)
            j = 0
            while j < c16 {
                store16(yr + j, (load16(xr + j) - m16) * s16 * load16(weight + j) + load16(bias + j))
                j += 16
            }
            while j < c { yr[j] = (xr[j] - mean) * rstd * weight[j] + bias[j]; j += 1 }
        }
    }
}
