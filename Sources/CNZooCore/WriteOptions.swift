/// Options that belong to one format, kept by type. A format module defines its own options struct and exposes it
/// through an extension of `ReadOptions` / `WriteOptions` (see `WriteOptions.crc` in CNZooMindSpore), so Core never
/// names a format's settings.
public struct FormatSpecificOptions: @unchecked Sendable {
    private var values: [ObjectIdentifier: Any] = [:]

    /// No format-specific options.
    public init() {}

    /// The options of type `T`, nil when none were set.
    public subscript<T>(_ type: T.Type) -> T? {
        get { values[ObjectIdentifier(type)] as? T }
        set { values[ObjectIdentifier(type)] = newValue }
    }
}

/// Options every checkpoint writer understands, plus each format's own.
public struct WriteOptions {
    /// Replace an existing output file (the CLI's `--force`).
    public var overwrite: Bool
    /// Called as data is written with (bytes written so far, total bytes to write).
    public var progress: ((Int, Int) -> Void)?
    /// Options only some formats read.
    public var formatOptions = FormatSpecificOptions()

    /// Options for any writer.
    public init(overwrite: Bool = false, progress: ((Int, Int) -> Void)? = nil) {
        self.overwrite = overwrite
        self.progress = progress
    }
}

/// Options every checkpoint reader understands: none yet beyond each format's own.
public struct ReadOptions: Sendable {
    /// Options only some formats read.
    public var formatOptions = FormatSpecificOptions()

    /// Default options.
    public init() {}
}
