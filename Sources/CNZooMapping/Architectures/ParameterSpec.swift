import CNZooCore

/// One parameter an architecture expects: canonical name, shape and role.
public struct ParameterSpec: Equatable, Sendable, Codable {
    /// What a parameter is for; conventions map roles, not strings.
    public enum Role: String, Sendable, Codable {
        case convWeight, convBias, normWeight, normBias, linearWeight, linearBias, layerScale
        case bnWeight, bnBias, bnRunningMean, bnRunningVar
    }

    public var name: String
    public var shape: [Int]
    public var role: Role

    public init(_ name: String, _ shape: [Int], _ role: Role) {
        self.name = name
        self.shape = shape
        self.role = role
    }

    /// Number of elements.
    public var elementCount: Int { shape.reduce(1, *) }
    /// Whether this is a non-learnable buffer (BatchNorm running statistics), not counted as a parameter.
    public var isBuffer: Bool { role == .bnRunningMean || role == .bnRunningVar }
}

/// A tensor a framework's module keeps beyond the parameters and running statistics — torch BatchNorm's
/// `num_batches_tracked` step counter: no forward pass reads it, but training code resuming from a file does, so
/// conversions carry its value where the target has a place for it.
public struct BookkeepingBuffer: Equatable, Sendable {
    /// The canonical name (`stem.2.num_batches_tracked`).
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    /// The canonical parameter it follows in file order (`stem.2.running_var`).
    public var after: String

    public init(name: String, dtype: DType, shape: [Int], after: String) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.after = after
    }
}

/// An architecture described as data: it yields the canonical parameter list (names, shapes, order) and its costs.
public protocol ArchitectureSpec: Sendable {
    /// The family (`convnext`, `convmixer`).
    var family: Family { get }
    /// A short human description (`ConvNeXt depths [3,3,9,3] dims [96,192,384,768], 1000 classes`).
    var summary: String { get }
    /// The canonical parameters in canonical order.
    func parameters() -> [ParameterSpec]
    /// Multiply-accumulate operations of one forward pass at `resolution`×`resolution` (the "FLOPs" papers report).
    func macs(resolution: Int) -> Int
    /// Bookkeeping buffers of the reference modules (BatchNorm step counters), in canonical order; none by default.
    func bookkeepingBuffers() -> [BookkeepingBuffer]
}

extension ArchitectureSpec {
    public func bookkeepingBuffers() -> [BookkeepingBuffer] { [] }

    /// Learnable parameter count (buffers excluded, as papers and model cards count), computed from the list.
    public var parameterCount: Int { parameters().filter { !$0.isBuffer }.reduce(0) { $0 + $1.elementCount } }
    /// GMACs at `resolution` (papers and torchvision call this "GFLOPs").
    public func gflops(resolution: Int) -> Double { Double(macs(resolution: resolution)) / 1e9 }
}
