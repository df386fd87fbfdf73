import CLibZip
import CNZooCore

extension CheckpointFormat {
    /// NumPy `.npz`: a zip of `<name>.npy` members (`numpy.savez`, `numpy.savez_compressed`).
    public static let npz = CheckpointFormat(rawValue: "npz")
}

extension DetectedFormat {
    /// A NumPy `.npz` archive.
    public static let npz = DetectedFormat(.npz)
}

/// `.npz` as a checkpoint (`numpy.savez` stored members, `numpy.savez_compressed` deflated ones), read through
/// libzip: every `<name>.npy` member becomes the tensor `<name>` (names kept, `/` included), in archive order.
/// An object-dtype member carries a pickle and is refused (`cnzoo scan` looks inside it).
public struct NpzPlugin: FormatPlugin {
    public init() {}
    public var format: CheckpointFormat { .npz }
    public var summary: String { "NumPy .npz: zip of .npy arrays (numpy.savez / savez_compressed), read through libzip" }
    public var fileExtension: String { "npz" }
    public var canRead: Bool { true }
    public var canWrite: Bool { false }

    /// A zip whose first member is named `*.npy` (a torch zip starts with `<folder>/data.pkl`, a `.keras` with
    /// `metadata.json`).
    public func detect(_ probe: FormatProbe) -> FormatMatch? {
        NpzArchive.firstMemberName(probe.head)?.hasSuffix(".npy") == true ? FormatMatch(.npz, .specific) : nil
    }

    public func read(_ input: FormatInput, options: ReadOptions) throws -> Checkpoint {
        let file = try requireFile(input)
        var ckpt = Checkpoint()
        var compressed = 0
        try NpzArchive.forEachMember(path: file.path) { name, bytes, deflated in
            guard name.hasSuffix(".npy") else {
                ckpt.notes.append("skipped member '\(name)' (not a .npy array)")
                return
            }
            let array: NumPyArray
            do { array = try NumPyFormat.read(bytes: bytes) } catch let e as CNZooError {
                throw CNZooError(e.code, "member '\(name)': \(e.message)", file: file.path, tensor: String(name.dropLast(4)))
            }
            ckpt.tensors.append(TensorEntry(name: String(name.dropLast(4)), dtype: array.dtype, shape: array.shape,
                                            data: array.data))
            if deflated { compressed += 1 }
        }
        if compressed > 0 { ckpt.notes.append("\(compressed) deflated members decompressed in memory") }
        return ckpt
    }
}

/// The libzip side of `.npz` reading: the first member name from a file's head, and each member's bytes.
public enum NpzArchive {
    /// The name in the first zip local file header of `head`, if it starts with one.
    public static func firstMemberName(_ head: [UInt8]) -> String? {
        guard head.count >= 30, head.starts(with: [0x50, 0x4B, 0x03, 0x04]) else { return nil }
        let n = Int(head[26]) | Int(head[27]) << 8
        guard n > 0, head.count >= 30 + n else { return nil }
        return String(decoding: head[30..<(30 + n)], as: UTF8.self)
    }

    /// Calls `body(name, bytes, deflated)` for every member in archive order (sizes bounded by `Limits`).
    public static func forEachMember(path: String, _ body: (String, [UInt8], Bool) throws -> Void) throws {
        var err: Int32 = 0
        guard let z = zip_open(path, ZIP_RDONLY, &err) else {
            throw CNZooError(.malformed, "libzip cannot open the archive (zip error \(err))", file: path)
        }
        defer { zip_discard(z) }
        let count = zip_get_num_entries(z, 0)
        guard count >= 0, count <= Int64(Limits.maxZipEntries) else {
            throw Limits.exceeded("maxZipEntries", Limits.maxZipEntries, "\(count) zip members", file: path)
        }
        var seen = Set<String>()
        for i in 0..<UInt64(count) {
            var st = zip_stat_t()
            zip_stat_init(&st)
            guard zip_stat_index(z, i, 0, &st) == 0, let cname = st.name else {
                throw CNZooError(.malformed, "zip member \(i): \(String(cString: zip_strerror(z)))", file: path)
            }
            let name = String(cString: cname)
            guard seen.insert(name).inserted else {
                throw CNZooError(.malformed, "zip member '\(name)' appears twice", file: path)
            }
            guard st.size <= UInt64(Limits.maxMaterializedTensorBytes) else {
                throw Limits.exceeded("maxMaterializedTensorBytes", Limits.maxMaterializedTensorBytes,
                                      "member '\(name)' of \(st.size) bytes", file: path)
            }
            guard let f = zip_fopen_index(z, i, 0) else {
                throw CNZooError(.malformed, "zip member '\(name)': \(String(cString: zip_strerror(z)))", file: path)
            }
            var bytes = [UInt8](repeating: 0, count: Int(st.size))
            let got = bytes.withUnsafeMutableBytes { zip_fread(f, $0.baseAddress, UInt64($0.count)) }
            var extra: UInt8 = 0
            let more = zip_fread(f, &extra, 1)
            zip_fclose(f)
            guard got == Int64(st.size), more == 0 else {
                throw CNZooError(.malformed, "zip member '\(name)': read \(got) of \(st.size) bytes (corrupt or "
                                 + "truncated; its CRC or size does not hold)", file: path)
            }
            try body(name, bytes, st.comp_method != ZIP_CM_STORE)
        }
    }
}
