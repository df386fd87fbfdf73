import CNZooCore

extension DType {
    /// The little-endian `.npy` descr of each dtype NumPy has (none for bf16 or the 8-bit floats).
    public static let numpyDescrs = DTypeSpellings([
        (.f64, "<f8"), (.i64, "<i8"), (.u64, "<u8"), (.f32, "<f4"), (.i32, "<i4"), (.u32, "<u4"), (.f16, "<f2"),
        (.i16, "<i2"), (.u16, "<u2"), (.i8, "|i1"), (.u8, "|u1"), (.bool, "|b1"),
    ])

    /// The `.npy` descr (`<f4`), nil for bf16 (NumPy has none).
    public var numpyDescr: String? { DType.numpyDescrs.name(of: self) }

    /// The dtype whose `.npy` descr is `descr` (`<f4` → F32; `=` and `|` byte orders accepted where unambiguous).
    public init?(numpyDescr descr: String) {
        var d = descr
        if d.hasPrefix("=") { d = "<" + d.dropFirst() }
        if let hit = DType.numpyDescrs.dtype(named: d) { self = hit; return }
        if d.count == 3, d.hasPrefix("<") || d.hasPrefix("|"),
           let hit = DType.numpyDescrs.pairs.first(where: { $0.name.dropFirst() == d.dropFirst() && $0.dtype.bitWidth == 8 }) {
            self = hit.dtype
            return
        }
        return nil
    }
}
