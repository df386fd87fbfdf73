/// A format reader whose whole input is one mapped file: it implements `read(file:)` and gets `read(path:)`, which
/// maps the file and names it in every error, for free.
public protocol MappedCheckpointReader {
    /// Reads a checkpoint from an already mapped (or in-memory) file.
    static func read(file: MappedFile) throws -> Checkpoint
}

extension MappedCheckpointReader {
    /// Maps the file at `path` and reads it; an error that does not name a file is given `path`.
    public static func read(path: String) throws -> Checkpoint {
        do {
            return try read(file: MappedFile(path: path))
        } catch {
            throw CNZooError.wrap(error, file: path)
        }
    }
}
