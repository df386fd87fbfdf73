import CNZooCore
import CNZooKeras
import CNZooLibZip
import CNZooPyTorch

extension Harnesses {
    /// `hdf5`: cnzoo's superblock checks and the bounded libhdf5 walk, in this process (so the sanitizer sees both),
    /// then every tensor byte. In `cnzoo` itself the walk runs in a child process (`HDF5Reader.index`).
    static func hdf5(_ bytes: UnsafeRawBufferPointer) {
        guard let listing = try? HDF5Reader.indexInProcess(bytes) else { return }
        let file = MappedFile(copying: bytes, path: "<fuzz>")
        if let ckpt = try? KerasFormat.checkpoint(from: listing, file: file) { touchAll(ckpt) }
    }

    /// `zip-diff`: libzip and cnzoo's own `.pth` zip reader (`ZipArchive`) on the same bytes. When both accept the
    /// archive they must list the same entries (names, methods, uncompressed sizes, in directory order) and, for
    /// every stored entry cnzoo serves in place, the bytes at cnzoo's data offset must be the bytes libzip
    /// decodes; a disagreement traps. A refusal by one reader only is not a finding (the readers differ in
    /// strictness by design: see docs/robustness.md).
    static func zipDiff(_ bytes: UnsafeRawBufferPointer) {
        let file = MappedFile(copying: bytes, path: "<fuzz>")
        let ours = try? ZipArchive(file: file)
        let theirs = try? LibZipArchive.withArchive(file.bytes, file: nil) { zip in
            try (0..<zip.count()).map { (member: try zip.member(at: $0), bytes: try zip.read(at: $0, limit: 1 << 24)) }
        }
        guard let ours, let theirs else { return }
        guard ours.entries.count == theirs.count else {
            fatalError("zip-diff: cnzoo lists \(ours.entries.count) entries, libzip \(theirs.count)")
        }
        for (a, b) in zip(ours.entries, theirs) {
            guard a.name == b.member.name, Int(a.method) == b.member.method, a.uncompressedSize == b.member.size else {
                fatalError("zip-diff: cnzoo \(a.name) m\(a.method) \(a.uncompressedSize) B, libzip \(b.member.name) m\(b.member.method) \(b.member.size) B")
            }
            if let stored = try? ours.storedBytes(a), Array(stored) != b.bytes {
                fatalError("zip-diff: entry \(a.name): bytes at cnzoo's data offset \(a.dataOffset) differ from libzip's")
            }
        }
    }
}
