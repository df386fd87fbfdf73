import CNZooCore

/// What a mapping did, tensor by tensor class: the strict report a conversion prints or fails with.
public struct MappingReport: Sendable, Codable, Equatable {
    /// A tensor whose name matched but whose shape did not.
    public struct ShapeMismatch: Sendable, Codable, Equatable {
        public var name: String
        public var expected: [Int]
        public var found: [Int]

        public init(name: String, expected: [Int], found: [Int]) {
            self.name = name
            self.expected = expected
            self.found = found
        }
    }

    /// A tensor left out of the output on purpose.
    public struct Dropped: Sendable, Codable, Equatable {
        public var name: String
        public var kind: StateClassifier.Kind

        public init(name: String, kind: StateClassifier.Kind) {
            self.name = name
            self.kind = kind
        }
    }

    /// The source convention.
    public var convention: String
    /// The architecture family.
    public var architecture: Family
    /// The name prefix stripped from every source name (`module.`), empty if none.
    public var prefix: String
    /// Source tensors that mapped to exactly one expected tensor.
    public var mapped: Int
    /// Expected tensors (in the source convention's spelling) absent from the source. A tensor present under its
    /// name but with the wrong shape is in ``shapeMismatch`` only, not here too.
    public var missing: [String]
    /// Source tensors that match no expected name and are not optimizer state or bookkeeping.
    public var unexpected: [String]
    /// Source tensors whose name matched but shape did not.
    public var shapeMismatch: [ShapeMismatch]
    /// Source tensors that matched an expected tensor another source tensor had already claimed (two spellings of
    /// the same parameter).
    public var duplicates: [String]
    /// Optimizer state and bookkeeping left out.
    public var dropped: [Dropped]
    /// Tensors carried through under their own names (`--allow-unmapped`, `--keep-optimizer`).
    public var carried: [String]
    /// Human notes (what was dropped and why, spellings accepted).
    public var notes: [String]

    /// Every source tensor mapped to exactly one expected tensor and nothing expected is missing.
    public var isExact: Bool {
        missing.isEmpty && unexpected.isEmpty && shapeMismatch.isEmpty && duplicates.isEmpty
    }

    /// The fraction of (mapped + problems) that mapped: 1 for an exact match.
    public var matchFraction: Double {
        let total = mapped + missing.count + unexpected.count + shapeMismatch.count + duplicates.count
        return total == 0 ? 0 : Double(mapped) / Double(total)
    }

    /// A multi-line human summary: every missing tensor by name (what the user must supply), and up to `limit` names
    /// of each other problem class (a wrong architecture can make hundreds of tensors unexpected).
    public func problemSummary(limit: Int = 8) -> String {
        func list(_ label: String, _ items: [String], limit: Int) -> String? {
            guard !items.isEmpty else { return nil }
            var s = "  \(label) (\(items.count)): " + items.prefix(limit).joined(separator: ", ")
            if items.count > limit { s += ", … (+\(items.count - limit) more)" }
            return s
        }
        let lines = [
            list("missing", missing, limit: missing.count),
            list("unexpected", unexpected, limit: limit),
            list("shape mismatch", shapeMismatch.map { "\($0.name) expected \($0.expected) found \($0.found)" },
                 limit: limit),
            list("duplicate spellings", duplicates, limit: limit),
        ].compactMap { $0 }
        return lines.joined(separator: "\n")
    }

    /// The problem counts in words with the right plurals: `1 mapped, 2 missing, 1 shape mismatch`.
    public var countSummary: String {
        "\(mapped) mapped, \(missing.count) missing, \(unexpected.count) unexpected, "
            + Plural.count(shapeMismatch.count, "shape mismatch", "shape mismatches")
    }
}
