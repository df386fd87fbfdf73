/// Unaligned SIMD16 loads and stores (activations are not 64-byte aligned in general).
@inline(__always) func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always) func store16(_ p: UnsafeMutablePointer<Float>, _ v: SIMD16<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

/// `v` limited to `[lo, hi]` with masked selects (`clamped`/`pointwiseMin` are very slow here; see
/// swift-toolchain.md §3).
@inline(__always) func clamp16(_ v: SIMD16<Float>, _ lo: Float, _ hi: Float) -> SIMD16<Float> {
    var r = v
    r.replace(with: lo, where: r .< lo)
    r.replace(with: hi, where: r .> hi)
    return r
}
