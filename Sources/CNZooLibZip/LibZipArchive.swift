import CLibZip
import CNZooCore

/// A zip archive as libzip reads it, straight from bytes in memory (a mapped file; nothing is extracted to disk):
/// opened read-only with libzip's consistency checks (a member name listed twice is refused), members decompressed
/// and CRC-checked by libzip, the member count and every member's size bounded by `Limits` before anything is
/// allocated. The one wrapper over libzip: `.keras` and `.npz` archives, and the differential check of cnzoo's own
/// zip reader.
public struct LibZipArchive {
    /// A member's directory entry.
    public struct Member: Sendable, Equatable {
        /// The name as stored.
        public var name: String
        /// Uncompressed size in bytes.
        public var size: Int
        /// The zip compression method (0 stored, 8 deflated, …).
        public var method: Int
        /// Whether the member's bytes are stored uncompressed.
        public var isStored: Bool { method == Int(ZIP_CM_STORE) }
    }

    private let archive: OpaquePointer
    /// The file named in errors (nil for anonymous bytes).
    public let file: String?

    /// Opens `bytes` (which must outlive `body`) and hands the archive to `body`; the archive is closed after it.
    /// Bytes libzip does not open as a consistent zip are `.malformed`.
    public static func withArchive<R>(_ bytes: UnsafeRawBufferPointer, file: String?,
                                      _ body: (LibZipArchive) throws -> R) throws -> R {
        var err = zip_error_t()
        zip_error_init(&err)
        defer { zip_error_fini(&err) }
        guard let base = bytes.baseAddress, !bytes.isEmpty,
              let src = zip_source_buffer_create(base, UInt64(bytes.count), 0, &err) else {
            throw CNZooError(.malformed, "not a zip archive (empty)", file: file)
        }
        guard let za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err) else {
            zip_source_free(src)
            // With ZIP_CHECKCONS libzip refuses a directory that names a member twice, reporting only "File already
            // exists".
            let why = zip_error_code_zip(&err) == ZIP_ER_EXISTS ? "a member name appears twice in its directory"
                : String(cString: zip_error_strerror(&err))
            throw CNZooError(.malformed, "libzip cannot open the archive: \(why)", file: file)
        }
        defer { zip_discard(za) }
        return try body(LibZipArchive(archive: za, file: file))
    }

    /// The number of members (at most `Limits.maxZipEntries`).
    public func count() throws -> Int {
        let n = zip_get_num_entries(archive, 0)
        guard n >= 0, n <= Int64(Limits.maxZipEntries) else {
            throw Limits.exceeded("maxZipEntries", Limits.maxZipEntries, "\(n) zip members", file: file)
        }
        return Int(n)
    }

    /// The index of the member named `name`, if there is one.
    public func index(of name: String) -> Int? {
        let i = zip_name_locate(archive, name, 0)
        return i >= 0 ? Int(i) : nil
    }

    /// The directory entry of member `index`; encrypted members are refused.
    public func member(at index: Int) throws -> Member {
        var st = zip_stat_t()
        zip_stat_init(&st)
        guard zip_stat_index(archive, UInt64(index), 0, &st) == 0, let cname = st.name else {
            throw CNZooError(.malformed, "zip member \(index) is unreadable: \(String(cString: zip_strerror(archive)))",
                             file: file)
        }
        let name = String(cString: cname)
        guard st.encryption_method == 0 else { throw CNZooError(.encrypted, "zip member '\(name)' is encrypted", file: file) }
        return Member(name: name, size: Int(clamping: st.size), method: Int(st.comp_method))
    }

    /// The bytes of member `index`, decompressed and CRC-checked, refused before any allocation when its recorded
    /// size exceeds `limit`; a member shorter or longer than its recorded size is `.malformed`.
    public func read(at index: Int, limit: Int = Limits.maxMaterializedTensorBytes) throws -> [UInt8] {
        let m = try member(at: index)
        guard m.size <= limit else {
            throw Limits.exceeded("maxMaterializedTensorBytes", limit, "zip member '\(m.name)' of \(m.size) bytes",
                                  file: file)
        }
        guard let zf = zip_fopen_index(archive, UInt64(index), 0) else {
            throw CNZooError(.malformed, "zip member '\(m.name)' cannot be opened: \(String(cString: zip_strerror(archive)))",
                             file: file)
        }
        defer { zip_fclose(zf) }
        var out = [UInt8](repeating: 0, count: m.size)
        var got = 0
        try out.withUnsafeMutableBytes { buf in
            while got < buf.count {
                let n = zip_fread(zf, buf.baseAddress! + got, UInt64(buf.count - got))
                guard n > 0 else {
                    throw CNZooError(.malformed, "zip member '\(m.name)' ends after \(got) of \(buf.count) bytes "
                                     + "(\(String(cString: zip_error_strerror(zip_file_get_error(zf)))))", file: file)
                }
                got += Int(n)
            }
        }
        var extra: UInt8 = 0
        guard zip_fread(zf, &extra, 1) == 0 else {
            throw CNZooError(.malformed, "zip member '\(m.name)' is longer than its recorded size (\(m.size) bytes)",
                             file: file)
        }
        return out
    }
}
