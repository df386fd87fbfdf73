import CNZooCore
import CNZooLibZip

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
        try NpzArchive.forEachMember(file.bytes, file: file.path) { name, bytes, deflated in
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

    /// Calls `body(name, bytes, deflated)` for every member of the archive in `bytes` in archive order (member
    /// count and sizes bounded by `Limits`; an archive that names a member twice is refused when opened).
    public static func forEachMember(_ bytes: UnsafeRawBufferPointer, file: String,
                                     _ body: (String, [UInt8], Bool) throws -> Void) throws {
        try LibZipArchive.withArchive(bytes, file: file) { zip in
            for i in 0..<(try zip.count()) {
                let m = try zip.member(at: i)
                try body(m.name, try zip.read(at: i), !m.isStored)
            }
        }
    }
}
