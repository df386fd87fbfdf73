/// Options every checkpoint writer understands.
public struct WriteOptions {
    /// Replace an existing output file (the CLI's `--force`).
    public var overwrite: Bool
    /// Called as data is written with (bytes written so far, total bytes to write).
    public var progress: ((Int, Int) -> Void)?
    /// MindSpore only: append the `crc_num` trailer.
    public var crc: Bool

    public init(overwrite: Bool = false, crc: Bool = false, progress: ((Int, Int) -> Void)? = nil) {
        self.overwrite = overwrite
        self.crc = crc
        self.progress = progress
    }
}

/// Options every checkpoint reader understands.
public struct ReadOptions: Sendable {
    /// PyTorch: which top-level key of a wrapped checkpoint holds the weights (`model`, `state_dict`, ...);
    /// nil picks the way timm does and records the choice in `Checkpoint.notes`.
    public var key: String?
    /// PyTorch: strip DDP `module.` and torch.compile `_orig_mod.` name prefixes.
    public var stripPrefixes: Bool

    public init(key: String? = nil, stripPrefixes: Bool = false) {
        self.key = key
        self.stripPrefixes = stripPrefixes
    }
}
