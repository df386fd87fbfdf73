/// The one error type cnzoo throws: a stable code, a human message, and where it happened.
///
/// Modelled on swift-nio's `FileSystemError` (code, message, cause). The context fields name the file, the tensor
/// and the byte offset when they are known, so a message always says *where* and *what was expected*.
public struct CNZooError: Error, CustomStringConvertible, Sendable {
    /// A stable, machine-readable error category. Open set; the known codes are static members.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The input ended before a complete structure was read.
        public static let truncated = Code(rawValue: "truncated")
        /// The input is structurally invalid for its format.
        public static let malformed = Code(rawValue: "malformed")
        /// A size or count exceeds a limit in `Limits`.
        public static let limitExceeded = Code(rawValue: "limit-exceeded")
        /// The input uses a feature cnzoo does not support (yet).
        public static let unsupported = Code(rawValue: "unsupported")
        /// The file's format could not be recognised, or is not the one required.
        public static let unknownFormat = Code(rawValue: "unknown-format")
        /// The input contains something unsafe (code execution in a pickle, for instance).
        public static let unsafe = Code(rawValue: "unsafe")
        /// An integrity check failed (checksum, CRC, hash).
        public static let integrity = Code(rawValue: "integrity")
        /// The file is encrypted.
        public static let encrypted = Code(rawValue: "encrypted")
        /// An input file could not be opened, stat'ed or mapped.
        public static let unreadable = Code(rawValue: "unreadable")
        /// An output I/O call failed (create, write, fsync, rename...).
        public static let io = Code(rawValue: "io")
        /// The output already exists and overwriting was not requested.
        public static let exists = Code(rawValue: "exists")
        /// A name mapping or architecture check failed.
        public static let mapping = Code(rawValue: "mapping")
        /// A verification check failed.
        public static let checkFailed = Code(rawValue: "check-failed")
        /// Bad usage: conflicting or invalid options.
        public static let usage = Code(rawValue: "usage")
        /// A resource was not found (a zoo id, a tensor name, a URL).
        public static let notFound = Code(rawValue: "not-found")
        /// A network operation failed.
        public static let network = Code(rawValue: "network")
    }

    public var code: Code
    public var message: String
    /// The file being read or written, when known.
    public var file: String?
    /// The tensor (or record) concerned, when known.
    public var tensor: String?
    /// The byte offset in `file`, when known.
    public var offset: Int?
    /// The underlying error, if any.
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, file: String? = nil, tensor: String? = nil, offset: Int? = nil,
                cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.tensor = tensor
        self.offset = offset
        self.cause = cause
    }

    /// The same error with the file set (if it was not already).
    public func inFile(_ path: String) -> CNZooError {
        var e = self
        if e.file == nil { e.file = path }
        return e
    }

    /// The same error with the tensor set (if it was not already).
    public func forTensor(_ name: String) -> CNZooError {
        var e = self
        if e.tensor == nil { e.tensor = name }
        return e
    }

    public var description: String {
        var parts: [String] = []
        if let file { parts.append(file) }
        if let tensor { parts.append("tensor '\(tensor)'") }
        if let offset { parts.append("byte \(offset)") }
        var s = parts.isEmpty ? "" : parts.joined(separator: ": ") + ": "
        s += message
        if let cause { s += " (\(cause))" }
        return s
    }
}

extension CNZooError {
    /// Wraps any error as a `CNZooError` (keeping one unchanged), attaching the file.
    public static func wrap(_ error: any Error, file: String? = nil) -> CNZooError {
        if let e = error as? CNZooError { return file.map { e.inFile($0) } ?? e }
        return CNZooError(.io, "\(error)", file: file, cause: error)
    }
}
