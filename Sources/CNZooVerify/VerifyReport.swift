import CNZooCore
import CNZooMapping
import CNZooModels

/// What `cnzoo verify` found, as printed in its table and its `--json` output.
public struct VerifyReport: Codable, Sendable {
    /// One comparison of Swift logits with a reference framework on one input.
    public struct ParityRow: Codable, Sendable {
        /// Which weights: `reference` (the deterministic weights), or a conversion path such as `torchvision → mindcv → canonical`.
        public var weights: String
        public var input: Int
        /// The framework (or run) the Swift logits are compared with.
        public var reference: String
        /// Numerics Swift ran with.
        public var numerics: String
        public var swiftTop1: Int
        public var referenceTop1: Int
        /// How far the reference's top-1 is ahead of its second choice.
        public var referenceTop1Gap: Float
        public var maxAbsDiff: Float
        public var tolerance: Float
        public var passed: Bool
        /// Why this tolerance (and these numerics).
        public var why: String
    }

    /// One conversion round trip.
    public struct RoundTripRow: Codable, Sendable {
        public var path: String
        public var tensors: Int
        public var bitExact: Bool
        public var detail: String
    }

    public var variant: String
    /// The family (`convnext`, `convmixer`).
    public var family: Family
    public var architecture: String
    public var source: String
    /// `--checkpoint`: the top-level key of a training checkpoint the weights were read from (null for a plain state
    /// dict and for `--variant`), and the other top-level keys that hold weights.
    @NullWhenAbsent public var wrapperKey: String? = nil
    public var otherWeightKeys: [String] = []
    public var inputs: String
    /// Forward-pass comparisons (against recorded framework logits, and after each round-trip hop).
    public var parity: [ParityRow] = [] { didSet { passed = allChecksPassed } }
    /// Conversion round trips.
    public var roundTrips: [RoundTripRow] = [] { didSet { passed = allChecksPassed } }
    /// Whether every check passed (kept in step with `parity` and `roundTrips`; false until a check ran).
    public private(set) var passed = false
    /// Informational: how far apart the two GELU forms put the logits (why mindcv is compared in tanh mode).
    public var notes: [String] = []
    public var seconds: Double = 0
    /// The kernel OpenBLAS picked for this CPU (`Gemm.coreName`); empty until the caller fills it in, since reading
    /// it loads OpenBLAS.
    public var openblasCore: String = ""
    /// The matrix-product engine used (`cnzoo` or `openblas`).
    public var gemm: String = ""

    public init(variant: String, family: Family, architecture: String, source: String, inputs: String) {
        self.variant = variant
        self.family = family
        self.architecture = architecture
        self.source = source
        self.inputs = inputs
    }

    /// Whether every check recorded so far passed (and at least one forward comparison ran).
    public var allChecksPassed: Bool {
        !parity.isEmpty && parity.allSatisfy(\.passed) && roundTrips.allSatisfy(\.bitExact)
    }
}
