import CLibCrypto

/// Streaming SHA-256 for checksums in metadata, manifests and verified downloads, computed by OpenSSL's libcrypto
/// (EVP), which uses the CPU's SHA extensions where it has them (≈2 GB/s here vs ≈0.2 GB/s for portable Swift).
public final class SHA256 {
    private let context: OpaquePointer

    public init() {
        guard let ctx = EVP_MD_CTX_new(), EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1 else {
            fatalError("libcrypto could not start a SHA-256 digest")  // only on allocation failure
        }
        context = ctx
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Feeds bytes.
    public func update(_ data: UnsafeRawBufferPointer) {
        guard let base = data.baseAddress, data.count > 0 else { return }
        EVP_DigestUpdate(context, base, data.count)
    }

    /// Feeds bytes.
    public func update<C: Collection>(_ data: C) where C.Element == UInt8 {
        let a = Array(data)
        a.withUnsafeBytes { update($0) }
    }

    /// Finishes and returns the 32-byte digest.
    public func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var n: UInt32 = 0
        EVP_DigestFinal_ex(context, &out, &n)
        return Array(out.prefix(Int(n)))
    }

    /// Finishes and returns the digest as lowercase hex.
    public func finalizeHex() -> String { SHA256.hex(finalize()) }

    /// Lowercase hex of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var s = [UInt8]()
        s.reserveCapacity(bytes.count * 2)
        for b in bytes { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 15)]) }
        return String(decoding: s, as: UTF8.self)
    }

    /// The hex digest of `bytes`.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> String {
        let s = SHA256()
        s.update(bytes)
        return s.finalizeHex()
    }

    /// The hex digest of a file's contents, read through a mapping.
    public static func hash(file path: String) throws -> String {
        let f = try MappedFile(path: path)
        f.adviseSequential(0..<f.size)
        return withExtendedLifetime(f) { hash(f.bytes) }
    }
}
