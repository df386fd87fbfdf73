import CLibZip
import CNZooCore

/// `.keras` archives (Keras 3 `model.save`): a zip of `metadata.json`, `config.json` and `model.weights.h5`, read
/// through libzip straight from the mapped file (nothing is extracted to disk).
public enum KerasArchive {
    /// The member holding the weights.
    public static let weightsMember = "model.weights.h5"

    /// Whether `bytes` are a zip that libzip opens and that holds `model.weights.h5`.
    public static func isKerasArchive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4B else { return false }
        return (try? withArchive(bytes, file: nil) { za in zip_name_locate(za, weightsMember, 0) >= 0 }) ?? false
    }

    /// Reads the bytes of member `name` (decompressed and CRC-checked by libzip), at most `limit` bytes.
    public static func member(_ name: String, in bytes: UnsafeRawBufferPointer, file: String?,
                              limit: Int = Limits.maxMaterializedTensorBytes) throws -> [UInt8] {
        try withArchive(bytes, file: file) { za in
            let idx = zip_name_locate(za, name, 0)
            guard idx >= 0 else { throw CNZooError(.notFound, "the archive has no member \(name)", file: file) }
            return try read(za, index: UInt64(idx), file: file, limit: limit)
        }
    }

    /// Reads every member in directory order, as libzip sees them (for the differential zip fuzz harness).
    public static func members(_ bytes: UnsafeRawBufferPointer, file: String?, limit: Int) throws
        -> [(name: String, size: Int, method: Int, bytes: [UInt8])] {
        try withArchive(bytes, file: file) { za in
            let n = zip_get_num_entries(za, 0)
            guard n >= 0, n <= Int64(Limits.maxZipEntries) else {
                throw Limits.exceeded("maxZipEntries", Limits.maxZipEntries, "zip entries", file: file)
            }
            return try (0..<UInt64(n)).map { i in
                let st = try stat(za, index: i, file: file)
                return (String(cString: st.name), Int(clamping: st.size), Int(st.comp_method),
                        try read(za, index: i, file: file, limit: limit))
            }
        }
    }

    private static func stat(_ za: OpaquePointer, index: UInt64, file: String?) throws -> zip_stat_t {
        var st = zip_stat_t()
        zip_stat_init(&st)
        guard zip_stat_index(za, index, 0, &st) == 0, st.name != nil else {
            throw CNZooError(.malformed, "zip entry \(index) is unreadable: \(errorMessage(za))", file: file)
        }
        return st
    }

    private static func read(_ za: OpaquePointer, index: UInt64, file: String?, limit: Int) throws -> [UInt8] {
        let st = try stat(za, index: index, file: file)
        let name = String(cString: st.name)
        guard st.encryption_method == 0 else { throw CNZooError(.encrypted, "zip member \(name) is encrypted", file: file) }
        guard st.size <= UInt64(limit) else {
            throw Limits.exceeded("maxMaterializedTensorBytes", limit, "zip member \(name) (\(st.size) bytes)", file: file)
        }
        guard let zf = zip_fopen_index(za, index, 0) else {
            throw CNZooError(.malformed, "zip member \(name) cannot be opened: \(errorMessage(za))", file: file)
        }
        defer { zip_fclose(zf) }
        var out = [UInt8](repeating: 0, count: Int(st.size))
        var got = 0
        try out.withUnsafeMutableBytes { buf in
            while got < buf.count {
                let n = zip_fread(zf, buf.baseAddress! + got, UInt64(buf.count - got))
                guard n > 0 else {
                    throw CNZooError(.malformed, "zip member \(name) ends after \(got) of \(buf.count) bytes "
                                     + "(\(String(cString: zip_error_strerror(zip_file_get_error(zf)))))", file: file)
                }
                got += Int(n)
            }
            var extra: UInt8 = 0
            guard zip_fread(zf, &extra, 1) == 0 else {
                throw CNZooError(.malformed, "zip member \(name) is longer than its recorded size", file: file)
            }
        }
        return out
    }

    /// Opens `bytes` with libzip (read-only, consistency-checked) and hands the archive to `body`.
    static func withArchive<R>(_ bytes: UnsafeRawBufferPointer, file: String?, _ body: (OpaquePointer) throws -> R) throws -> R {
        var err = zip_error_t()
        zip_error_init(&err)
        defer { zip_error_fini(&err) }
        guard let base = bytes.baseAddress, let src = zip_source_buffer_create(base, UInt64(bytes.count), 0, &err) else {
            throw CNZooError(.malformed, "not a zip archive (empty)", file: file)
        }
        guard let za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err) else {
            zip_source_free(src)
            throw CNZooError(.malformed, "libzip cannot open the archive: \(String(cString: zip_error_strerror(&err)))",
                             file: file)
        }
        defer { zip_discard(za) }
        return try body(za)
    }

    private static func errorMessage(_ za: OpaquePointer) -> String { String(cString: zip_strerror(za)) }
}
