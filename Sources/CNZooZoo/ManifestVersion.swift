import CNZooCore

/// Zoo manifest format versions, handled the way swift-format handles its configuration `version`:
///
/// * every manifest file carries an integer `version`;
/// * adding optional fields is **not** a version change — readers ignore fields they do not know, so a file written
///   for a later revision of the same version still loads;
/// * a change that older readers would misread (a renamed or re-typed field, a new required field) bumps the
///   version, and a reader refuses a version higher than `ManifestVersion.highestSupported` with a message that
///   names both numbers, instead of guessing.
public enum ManifestVersion {
    /// The highest manifest version this build of cnzoo reads (and the one it documents in `Zoo/schema.json`).
    public static let highestSupported = 1
    /// The oldest version still read.
    public static let lowestSupported = 1

    /// Checks `version` against `lowestSupported...highest`; throws a `CNZooError` naming both versions otherwise.
    /// `highest` is a parameter so that tests can play a newer reader against today's files.
    public static func check(_ version: Int, file: String, highest: Int = highestSupported) throws {
        if version > highest {
            throw CNZooError(
                .unsupported,
                "zoo manifest version \(version) is newer than the highest version this cnzoo reads (\(highest)); "
                    + "upgrade cnzoo to read it",
                file: file)
        }
        if version < lowestSupported {
            throw CNZooError(
                .unsupported,
                "zoo manifest version \(version) is not a known version (this cnzoo reads versions "
                    + "\(lowestSupported) to \(highest))",
                file: file)
        }
    }
}
