import CNZooCore
import CNZooLibZip

/// `.keras` archives (Keras 3 `model.save`): a zip of `metadata.json`, `config.json` and `model.weights.h5`, read
/// through libzip straight from the mapped file (nothing is extracted to disk).
public enum KerasArchive {
    /// The member holding the weights.
    public static let weightsMember = "model.weights.h5"

    /// Whether `bytes` are a zip that libzip opens and that holds `model.weights.h5`.
    public static func isKerasArchive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4B else { return false }
        return (try? LibZipArchive.withArchive(bytes, file: nil) { $0.index(of: weightsMember) != nil }) ?? false
    }

    /// Reads the bytes of member `name` (decompressed and CRC-checked by libzip), at most `limit` bytes.
    public static func member(_ name: String, in bytes: UnsafeRawBufferPointer, file: String?,
                              limit: Int = Limits.maxMaterializedTensorBytes) throws -> [UInt8] {
        try LibZipArchive.withArchive(bytes, file: file) { zip in
            guard let i = zip.index(of: name) else {
                throw CNZooError(.notFound, "the archive has no member \(name)", file: file)
            }
            return try zip.read(at: i, limit: limit)
        }
    }
}
