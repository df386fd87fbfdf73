import CNZooCore

extension DetectedFormat {
    /// A zip archive (torch.save ≥ 1.6, or a TorchScript archive — the PyTorch reader tells them apart).
    public static let pytorchZip = DetectedFormat("pytorch-zip", of: .pytorch)
    /// torch.save before 1.6 (or `_use_new_zipfile_serialization=False`): pickles after a magic number.
    public static let pytorchLegacy = DetectedFormat("pytorch-legacy", of: .pytorch)
    /// A bare pickle stream.
    public static let pickle = DetectedFormat("pickle", of: .pytorch)
}

/// PyTorch checkpoints (`torch.save`: zip, legacy, bare pickle) as a `FormatPlugin`.
public struct PyTorchPlugin: FormatPlugin {
    public init() {}
    public var format: CheckpointFormat { .pytorch }
    public var summary: String { "PyTorch .pth: torch.save zip archive, legacy or bare pickle (read without executing)" }
    public var fileExtension: String { "pth" }
    public var canRead: Bool { true }
    public var canWrite: Bool { true }

    public func detect(_ probe: FormatProbe) -> FormatMatch? {
        let head = probe.head
        if probe.starts(with: [0x50, 0x4B, 0x03, 0x04]) || probe.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            return FormatMatch(.pytorchZip, .signature)
        }
        if probe.starts(with: PyTorchFormat.legacyMagic) { return FormatMatch(.pytorchLegacy, .signature) }
        if head.count >= 2, head[0] == 0x80, (2...5).contains(head[1]) { return FormatMatch(.pickle, .heuristic) }
        if Self.looksLikeTextPickle(head, last: probe.tail.last) { return FormatMatch(.pickle, .fallback) }
        return nil
    }

    /// A protocol 0/1 pickle has no PROTO opcode. It is recognised only where unambiguous: it ends with STOP (`.`)
    /// and opens with GLOBAL `c<module>\n<name>\n` (identifiers only), or with MARK / EMPTY_DICT / EMPTY_LIST /
    /// EMPTY_TUPLE followed by another opcode byte that protocols 0–1 use.
    static func looksLikeTextPickle(_ head: [UInt8], last: UInt8?) -> Bool {
        let n = head.count
        guard n >= 3, last == UInt8(ascii: ".") else { return false }
        func isIdentifier(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2E
        }
        if head[0] == UInt8(ascii: "c") {
            var i = 1
            var lines = 0
            while i < min(n, 512), lines < 2 {
                let b = head[i]
                if b == 0x0A {
                    guard i > 1, head[i - 1] != 0x0A else { return false }
                    lines += 1
                } else if !isIdentifier(b) {
                    return false
                }
                i += 1
            }
            return lines == 2
        }
        let openers = Set("(}])".utf8)
        let followers = Set("(}])cVSILFNdltXKJMUTGhgpqaesu.0".utf8)
        return openers.contains(head[0]) && followers.contains(head[1])
    }

    public func read(_ input: FormatInput, options: ReadOptions) throws -> Checkpoint {
        try PyTorchFormat.read(file: requireFile(input), options: options)
    }

    public func write(_ checkpoint: Checkpoint, to path: String, options: WriteOptions) throws {
        try PyTorchFormat.write(checkpoint, to: path, options: options)
    }
}

/// PyTorch-only read options.
public struct PyTorchReadOptions: Sendable {
    /// Which top-level key of a wrapped checkpoint holds the weights (`model`, `state_dict`, ...); nil picks the way
    /// timm does and records the choice in `Checkpoint.notes`.
    public var key: String?
    /// Strip DDP `module.` and torch.compile `_orig_mod.` name prefixes.
    public var stripPrefixes = false
    /// Zip archives: check every entry's bytes against the CRC-32 its central-directory record carries (reads every
    /// byte once). Off by default, as in torch, which does not check them either.
    public var verifyCRC = false
    /// Defaults: timm's choice of key, names as stored, CRCs not checked.
    public init() {}
}

extension ReadOptions {
    /// PyTorch only: the top-level key holding the weights (see `PyTorchReadOptions.key`).
    public var key: String? {
        get { pytorch.key }
        set { pytorch.key = newValue }
    }

    /// PyTorch only: strip DDP `module.` and torch.compile `_orig_mod.` name prefixes.
    public var stripPrefixes: Bool {
        get { pytorch.stripPrefixes }
        set { pytorch.stripPrefixes = newValue }
    }

    /// PyTorch only: check the CRC-32 of every zip entry (see `PyTorchReadOptions.verifyCRC`).
    public var verifyCRC: Bool {
        get { pytorch.verifyCRC }
        set { pytorch.verifyCRC = newValue }
    }

    private var pytorch: PyTorchReadOptions {
        get { formatOptions[PyTorchReadOptions.self] ?? PyTorchReadOptions() }
        set { formatOptions[PyTorchReadOptions.self] = newValue }
    }

    /// Read options with PyTorch's key choice and prefix stripping.
    public init(key: String?, stripPrefixes: Bool = false) {
        self.init()
        self.key = key
        self.stripPrefixes = stripPrefixes
    }
}

/// PyTorch-only write options.
public struct PyTorchWriteOptions: Sendable {
    /// Nest the state dict under this top-level key (`{"model": state_dict}`); nil writes the bare state dict.
    public var wrapKey: String?
}

extension WriteOptions {
    /// PyTorch only: the top-level key the state dict is nested under (see `PyTorchWriteOptions.wrapKey`).
    public var wrapKey: String? {
        get { formatOptions[PyTorchWriteOptions.self]?.wrapKey }
        set { formatOptions[PyTorchWriteOptions.self] = PyTorchWriteOptions(wrapKey: newValue) }
    }
}
