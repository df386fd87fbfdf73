import CNZooCore

extension PyTorchFormat {
    /// Writes `checkpoint` as a `torch.save`-style zip archive that `torch.load(weights_only=True)` and
    /// `torch.load(mmap=True)` read bit-exactly. Records: `<prefix>/data.pkl`, `.format_version`,
    /// `.storage_alignment`, `byteorder` (`little`), `data/0…n-1` (one storage per tensor, 64-byte aligned) and
    /// `version` (`3`), where `<prefix>` is the output file's base name without extension. Tensor data is streamed one
    /// tensor at a time; the output appears atomically. Extras and metadata are not written (a state dict holds
    /// tensors only). `options.wrapKey` nests the state dict under one top-level key.
    public static func write(_ checkpoint: Checkpoint, to path: String, options: WriteOptions = WriteOptions()) throws {
        var tensors: [PickleWriter.Tensor] = []
        var total = 0
        var names = Set<String>()
        for (i, t) in checkpoint.tensors.enumerated() {
            guard let cls = t.dtype.torchStorageClass else {
                throw CNZooError(.unsupported,
                                 "dtype \(t.dtype) has no torch storage type (torch.save cannot hold it); convert it first",
                                 file: path, tensor: t.name)
            }
            guard let bytes = Checked.byteCount(t.shape, t.dtype), bytes == t.byteCount else {
                throw CNZooError(.malformed, "shape \(t.shape) of \(t.dtype) does not match \(t.byteCount) data bytes",
                                 file: path, tensor: t.name)
            }
            guard names.insert(t.name).inserted else {
                throw CNZooError(.malformed, "two tensors are named '\(t.name)'", file: path, tensor: t.name)
            }
            total += bytes
            tensors.append(.init(name: t.name, storageClass: cls, storageKey: String(i), shape: t.shape))
        }
        let prefix = archivePrefix(for: path)
        let out = try AtomicFileWriter(path: path, overwrite: options.overwrite)
        do {
            var zip = TorchZipWriter(out: out)
            try zip.addEntry("\(prefix)/data.pkl", bytes: PickleWriter.stateDict(tensors, wrapKey: options.wrapKey))
            try zip.addEntry("\(prefix)/.format_version", bytes: Array("1".utf8))
            try zip.addEntry("\(prefix)/.storage_alignment", bytes: Array("64".utf8))
            try zip.addEntry("\(prefix)/byteorder", bytes: Array("little".utf8))
            var done = 0
            for (i, t) in checkpoint.tensors.enumerated() {
                do {
                    try zip.addEntry("\(prefix)/data/\(i)", data: t.data)
                } catch let e as CNZooError {
                    throw e.forTensor(t.name)
                }
                done += t.byteCount
                options.progress?(done, total)
            }
            try zip.addEntry("\(prefix)/version", bytes: Array("3\n".utf8))
            try zip.finish()
            try out.commit()
        } catch {
            out.abort()
            throw CNZooError.wrap(error, file: path)
        }
    }

    /// torch's archive folder name: the file's base name without its last extension (`archive` when that is empty or
    /// not plain ASCII, as for torch writing through a Python stream).
    static func archivePrefix(for path: String) -> String {
        // A stream has no file name: `archive`, as torch.save names the folder when it writes to a file object.
        if AtomicFileWriter.isStream(path) { return "archive" }
        let base = path.split(separator: "/").last.map(String.init) ?? path
        var stem = base
        if let dot = base.lastIndex(of: "."), dot != base.startIndex { stem = String(base[..<dot]) }
        let ok = !stem.isEmpty && stem.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "\\") }
        return ok ? stem : "archive"
    }
}
