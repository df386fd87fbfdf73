import CNZooCore

/// PyTorch checkpoints: the zip archive `torch.save` writes (torch ≥ 1.6), the legacy pickle sequence
/// (`_use_new_zipfile_serialization=False`), or a bare pickle. Reading never executes the pickle; tensor bytes stay
/// in the mapped file (contiguous tensors are file ranges, strided views are materialised on demand).
public enum PyTorchFormat {
    /// The byte sequence a legacy `torch.save` file starts with: the pickled magic number 0x1950a86a20f9469cfc6c.
    static let legacyMagic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    /// The container a PyTorch-family file uses, judged by content.
    public enum Container: String, Sendable, Codable {
        case zip
        case legacy
        case pickle
    }

    /// The container of `bytes`.
    public static func container(of bytes: UnsafeRawBufferPointer) -> Container {
        if bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4B, bytes[2] == 0x03 || bytes[2] == 0x05 { return .zip }
        if bytes.count >= legacyMagic.count, zip(bytes, legacyMagic).allSatisfy({ $0 == $1 }) { return .legacy }
        return .pickle
    }

    /// Reads a PyTorch checkpoint of any container.
    public static func read(file: MappedFile, options: ReadOptions = ReadOptions()) throws -> Checkpoint {
        switch container(of: file.bytes) {
        case .zip: return try readZip(file: file, options: options)
        case .legacy: return try readLegacy(file: file, options: options)
        case .pickle: return try readPickle(file: file, options: options)
        }
    }

    // MARK: zip

    /// What the archive's small records say.
    struct ZipLayout {
        let archive: ZipArchive
        let prefix: String
        let version: Int
        let bigEndian: Bool
        let dataPickle: ZipEntry
    }

    static func zipLayout(file: MappedFile) throws -> ZipLayout {
        let archive = try ZipArchive(file: file)
        let path = file.path
        guard let first = archive.entries.first else {
            throw CNZooError(.malformed, "the zip archive is empty", file: path)
        }
        guard let slash = first.name.firstIndex(of: "/") else {
            throw CNZooError(.malformed, "zip entry '\(first.name)' is not inside a top-level folder, as torch.save writes",
                             file: path)
        }
        let prefix = String(first.name[..<slash])
        func entry(_ n: String) -> ZipEntry? { archive.entry("\(prefix)/\(n)") }
        func text(_ e: ZipEntry) throws -> String {
            let b = try archive.storedBytes(e)
            guard b.count <= 64 else {
                throw CNZooError(.malformed, "record '\(e.name)' is \(b.count) bytes; expected a short text", file: path)
            }
            return String(decoding: b, as: UTF8.self).trimmingWhitespace
        }
        if entry("constants.pkl") != nil || archive.entries.contains(where: { $0.name.hasPrefix("\(prefix)/code/") }) {
            throw CNZooError(.unsupported,
                             "this is a TorchScript archive (torch.jit.save: it has constants.pkl and code/), not a torch.save checkpoint; in Python run torch.jit.load(f).state_dict() and torch.save that",
                             file: path)
        }
        guard let versionEntry = entry(".data/version") ?? entry("version") else {
            throw CNZooError(.malformed, "archive '\(prefix)' has no version record (a torch.save zip always has one)",
                             file: path)
        }
        let vtext = try text(versionEntry)
        guard let version = Int(vtext) else {
            throw CNZooError(.malformed, "version record is '\(vtext)', expected an integer", file: path)
        }
        guard (1...10).contains(version) else {
            throw CNZooError(.unsupported, "archive version \(version) is outside the range torch reads (1...10)",
                             file: path)
        }
        var bigEndian = false
        if let bo = entry("byteorder") {
            switch try text(bo) {
            case "little": bigEndian = false
            case "big": bigEndian = true
            case let other:
                throw CNZooError(.malformed, "byteorder record is '\(other)', expected 'little' or 'big'", file: path)
            }
        }
        guard let pkl = entry("data.pkl") else {
            throw CNZooError(.malformed, "archive '\(prefix)' has no data.pkl", file: path)
        }
        guard pkl.uncompressedSize <= Limits.maxPickleBytes else {
            throw Limits.exceeded("maxPickleBytes", Limits.maxPickleBytes, "data.pkl of \(pkl.uncompressedSize) bytes",
                                  file: path)
        }
        return ZipLayout(archive: archive, prefix: prefix, version: version, bigEndian: bigEndian, dataPickle: pkl)
    }

    static func readZip(file: MappedFile, options: ReadOptions) throws -> Checkpoint {
        let layout = try zipLayout(file: file)
        let path = file.path
        let checkedCRCs = options.verifyCRC ? try layout.archive.verifyCRCs() : nil
        let pklRange = try layout.archive.storedRange(layout.dataPickle)
        guard let pklBytes = file.region(pklRange) else {
            throw CNZooError(.truncated, "data.pkl lies outside the file", file: path)
        }
        let machine = PickleMachine(pklBytes, baseOffset: pklRange.lowerBound, file: path)
        let root = try machine.run()
        try PickleSafety.refuseCodeExecution(machine, file: path)
        let archive = layout.archive
        let decoder = StateDictDecoder(arena: machine.arena, file: path, options: options, swapBytes: layout.bigEndian) {
            request, tensor in
            let name = "\(layout.prefix)/data/\(request.key)"
            guard let e = archive.entry(name) else {
                throw CNZooError(.malformed, "storage '\(request.key)' has no record \(name)", file: path, tensor: tensor)
            }
            let r = try archive.storedRange(e)
            guard let w = request.dtype.byteWidth, let need = Checked.multiply(request.numel, w), need <= r.count else {
                throw CNZooError(.malformed,
                                 "storage '\(request.key)' claims \(request.numel) \(request.dtype) elements but its record holds \(r.count) bytes",
                                 file: path, tensor: tensor)
            }
            return (file, r.lowerBound..<(r.lowerBound + need))
        }
        var ckpt = try decoder.decode(root)
        if layout.bigEndian { ckpt.notes.append("archive byteorder is 'big': multi-byte elements were byte-swapped to little-endian") }
        if let checkedCRCs { ckpt.notes.append("verified the CRC-32 of all \(Plural.count(checkedCRCs, "zip entry", "zip entries"))") }
        return ckpt
    }

    // MARK: legacy

    static func readLegacy(file: MappedFile, options: ReadOptions) throws -> Checkpoint {
        let path = file.path
        let bytes = file.bytes
        var pos = 0
        func next() throws -> (PickleMachine, PickleValue) {
            let m = PickleMachine(bytes, start: pos, file: path)
            let v = try m.run()
            try PickleSafety.refuseCodeExecution(m, file: path)
            pos = m.position
            return (m, v)
        }
        _ = try next()  // magic number
        let (_, protocolValue) = try next()
        guard protocolValue == .int(1001) else {
            throw CNZooError(.unsupported, "legacy torch.save protocol \(protocolValue), expected 1001", file: path)
        }
        let (infoMachine, info) = try next()
        var littleEndian = true
        for (k, v) in infoMachine.arena.dictEntries(info) ?? [] where k == .string("little_endian") {
            littleEndian = v != .bool(false)
        }
        let (machine, root) = try next()
        let (keysMachine, keysValue) = try next()
        guard case let .list(li) = keysValue else {
            throw CNZooError(.malformed, "legacy storage key list is a \(keysValue.kind)", file: path, offset: pos)
        }
        // Each storage's dtype comes from the persistent ids that name it.
        var dtypes: [String: DType] = [:]
        for pid in machine.arena.persistentIDs {
            guard let items = machine.arena.tupleItems(pid), items.count >= 5, case let .string(key) = items[2],
                  case let .global(_, cls) = items[1], let dt = DType(torchStorageClass: cls) else { continue }
            dtypes[key] = dt
        }
        var ranges: [String: Range<Int>] = [:]
        for keyValue in keysMachine.arena.lists[li] {
            guard case let .string(key) = keyValue else {
                throw CNZooError(.malformed, "legacy storage key is a \(keyValue.kind)", file: path, offset: pos)
            }
            guard let dt = dtypes[key], let w = dt.byteWidth else {
                throw CNZooError(.malformed, "legacy storage '\(key)' is not named by any tensor", file: path, offset: pos)
            }
            var c = ByteCursor(UnsafeRawBufferPointer(rebasing: bytes[pos...]), baseOffset: pos)
            guard let raw = littleEndian ? c.readLE(UInt64.self) : c.readBE(UInt64.self) else {
                throw CNZooError(.truncated, "legacy storage '\(key)': element count missing", file: path, offset: pos)
            }
            guard let n = Int(exactly: raw), let size = Checked.multiply(n, w), let start = Checked.add(pos, 8),
                  let end = Checked.add(start, size), end <= bytes.count else {
                throw CNZooError(.truncated, "legacy storage '\(key)' (\(raw) elements) runs past the end of the file",
                                 file: path, offset: pos)
            }
            ranges[key] = start..<end
            pos = end
        }
        let decoder = StateDictDecoder(arena: machine.arena, file: path, options: options, swapBytes: !littleEndian) {
            request, tensor in
            guard let r = ranges[request.key] else {
                throw CNZooError(.malformed, "storage '\(request.key)' is missing from the legacy data", file: path, tensor: tensor)
            }
            guard let w = request.dtype.byteWidth, let need = Checked.multiply(request.numel, w), need <= r.count else {
                throw CNZooError(.malformed, "storage '\(request.key)' claims \(request.numel) elements but holds \(r.count) bytes",
                                 file: path, tensor: tensor)
            }
            return (file, r.lowerBound..<(r.lowerBound + need))
        }
        var ckpt = try decoder.decode(root)
        ckpt.notes.append("legacy (pre-1.6) torch.save format")
        if !littleEndian { ckpt.notes.append("legacy file is big-endian: elements were byte-swapped") }
        return ckpt
    }

    // MARK: bare pickle

    static func readPickle(file: MappedFile, options: ReadOptions) throws -> Checkpoint {
        let path = file.path
        guard file.size <= Limits.maxPickleBytes else {
            throw Limits.exceeded("maxPickleBytes", Limits.maxPickleBytes, "pickle of \(file.size) bytes", file: path)
        }
        let machine = PickleMachine(file.bytes, file: path)
        let root = try machine.run()
        try PickleSafety.refuseCodeExecution(machine, file: path)
        let decoder = StateDictDecoder(arena: machine.arena, file: path, options: options, swapBytes: false) {
            request, tensor in
            throw CNZooError(.unsupported,
                             "a bare pickle cannot hold tensor data (storage '\(request.key)' would live in a .pth archive)",
                             file: path, tensor: tensor)
        }
        return try decoder.decode(root)
    }
}

extension String {
    /// The string without leading/trailing spaces, tabs and newlines.
    var trimmingWhitespace: String {
        let ws: Set<Character> = [" ", "\n", "\r", "\t", "\0"]
        var s = Substring(self)
        while let f = s.first, ws.contains(f) { s.removeFirst() }
        while let l = s.last, ws.contains(l) { s.removeLast() }
        return String(s)
    }
}
