import CNZooCore

/// One tensor a convention expects for a given architecture spec: its name in the convention, the spellings
/// accepted on input, the canonical name it maps to, and its shape and layout in the convention.
public struct Slot: Sendable, Equatable {
    /// How a convention lays a tensor out relative to the canonical layout.
    public enum Layout: Sendable, Equatable {
        /// The canonical bytes, reshaped to `shape` (torchvision layer scale `[C,1,1]` ⇄ canonical `[C]`): mapping
        /// never touches the data.
        case reshape
        /// The canonical tensor with its axes permuted — axis `i` of the convention's tensor is canonical axis
        /// `permutation[i]`, as NumPy's `transpose` — then reshaped to `shape`. Keras `Conv2D` kernels are
        /// `(kh,kw,I,O)` against canonical `[O,I,kh,kw]`: `.permute([2, 3, 1, 0])`; a `Dense` kernel `(in,out)`
        /// against `[out,in]`: `.permute([1, 0])`. Mapping hands out a lazy view that writers stream.
        case permute([Int])
    }

    /// The name this convention writes.
    public var name: String
    /// Other spellings accepted on input (framework versions differ, e.g. MindSpore norms `weight` vs `gamma`).
    public var alternates: [String]
    /// The canonical name (see `ConvNeXtSpec` / `ConvMixerSpec`).
    public var canonical: String
    /// Shape in this convention. It always has the canonical element count.
    public var shape: [Int]
    /// Shape in the canonical layout.
    public var canonicalShape: [Int]
    /// How `shape` relates to `canonicalShape`.
    public var layout: Layout
    /// What the tensor is for.
    public var role: ParameterSpec.Role

    /// A slot; `canonicalShape` defaults to `shape` and `layout` to a reshape.
    public init(name: String, alternates: [String] = [], canonical: String, shape: [Int], canonicalShape: [Int]? = nil,
                layout: Layout = .reshape, role: ParameterSpec.Role) {
        self.name = name
        self.alternates = alternates
        self.canonical = canonical
        self.shape = shape
        self.canonicalShape = canonicalShape ?? shape
        self.layout = layout
        self.role = role
    }

    /// Whether a source tensor of `shape` can fill this slot. A reshape slot also takes the canonical shape (same
    /// bytes); a permuted slot takes only its own shape, since canonical-ordered bytes would be misread.
    public func accepts(shape found: [Int]) -> Bool {
        if found == shape { return true }
        if case .reshape = layout { return found == canonicalShape }
        return false
    }

    /// The bytes of a tensor in this convention's layout, from the canonical tensor's `data` (a lazy view; the same
    /// source for a reshape).
    public func conventionData(fromCanonical data: TensorData, dtype: DType) throws -> TensorData {
        try view(data, dtype: dtype, toCanonical: false)
    }

    /// The bytes of the canonical tensor, from `data` in this convention's layout (a lazy view; the same source for
    /// a reshape).
    public func canonicalData(fromConvention data: TensorData, dtype: DType) throws -> TensorData {
        try view(data, dtype: dtype, toCanonical: true)
    }

    private func view(_ data: TensorData, dtype: DType, toCanonical: Bool) throws -> TensorData {
        guard case let .permute(axes) = layout else { return data }
        guard axes.sorted() == Array(canonicalShape.indices),
              Checked.elementCount(TensorPermutation.permutedShape(canonicalShape, axes)) == Checked.elementCount(shape)
        else {
            throw CNZooError(.mapping, "slot layout \(layout) does not turn \(canonicalShape) into \(shape)",
                             tensor: name)
        }
        guard let width = dtype.byteWidth else {
            throw CNZooError(.unsupported, "cannot permute the axes of \(dtype) elements (unknown width)", tensor: name)
        }
        let (from, permutation) = toCanonical
            ? (TensorPermutation.permutedShape(canonicalShape, axes), TensorPermutation.inverse(axes))
            : (canonicalShape, axes)
        do {
            return try TensorData.permuted(data, shape: from, permutation: permutation, elementBytes: width)
        } catch var e as CNZooError {
            e.tensor = name
            throw e
        }
    }
}

/// A tensor a framework's module carries that is not a parameter of the spec (torch BatchNorm
/// `num_batches_tracked`): dropped on decode, synthesised on encode so the target loads strictly.
public struct SynthesizedBuffer: Sendable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    public var bytes: [UInt8]
}

/// A naming convention: how one codebase names an architecture's parameters.
///
/// Each convention lives in its own file and only says how to spell each canonical parameter; the mapper, the
/// detector and the writers are generic. Adding a convention = one new file plus one line in `Conventions.all`.
public protocol NamingConvention: Sendable {
    /// Stable identifier used on the command line (`torchvision`, `mindcv`, ...).
    var name: String { get }
    /// Other spellings accepted on input (`tv` for torchvision).
    var aliases: [String] { get }
    /// Where its checkpoints come from.
    var framework: Framework { get }
    /// One line for `--help` and reports.
    var summary: String { get }
    /// The top-level key the reference releases wrap the state dict in (official ConvNeXt: `model`), if any.
    var wrapperKey: String? { get }
    /// The numerics its framework's reference model uses for `family`, nil if the convention does not name that
    /// family.
    func numerics(family: Family) -> Numerics?
    /// The numerics for `family` given what the checkpoint's container says about the model (`metadata`: a Hugging
    /// Face folder's `config.json`, see `HubConfig`); default: `numerics(family:)`.
    func numerics(family: Family, metadata: [String: String]) -> Numerics?
    /// The tensors this convention expects for `spec`, in the order its framework writes them; nil if the convention
    /// does not name the spec's family.
    func slots(for spec: any ArchitectureSpec) -> [Slot]?
    /// Buffers its modules carry beyond the spec's parameters (synthesised on encode), in file order relative to
    /// `slots`: each is placed right after the slot whose canonical name is the key.
    func synthesizedBuffers(for spec: any ArchitectureSpec) -> [String: [SynthesizedBuffer]]
}

extension NamingConvention {
    public var aliases: [String] { [] }
    public var wrapperKey: String? { nil }
    /// The convention's identifier in the vocabulary.
    public var id: Convention { Convention(rawValue: name) }
    public func synthesizedBuffers(for spec: any ArchitectureSpec) -> [String: [SynthesizedBuffer]] { [:] }
    public func numerics(family: Family, metadata: [String: String]) -> Numerics? { numerics(family: family) }
}

/// A convention whose names cannot be read off a fixed skeleton spec (Keras: layer counters that depend on the total
/// depth, legacy files keyed by layer names): it reads a file's names and shapes itself. The detector asks it
/// instead of trying skeletons, and the mapper plans with the names it returns.
public protocol SelfDescribingConvention: NamingConvention {
    /// The spec `names` and `shapes` describe, and each name respelled as `slots(for:)` spells it (names it does
    /// not recognise unchanged, so a strict mapping reports them); nil when the names are not this convention's.
    func describe(names: [String], shapes: [[Int]]) -> (spec: any ArchitectureSpec, names: [String])?
}

/// The registry of known conventions: adding one = one file conforming to `NamingConvention` plus one line here.
public enum Conventions {
    /// Every convention, canonical first.
    public static let all: [any NamingConvention] = [
        CanonicalConvention(), TorchVisionConvention(), OfficialConvention(), TimmConvention(),
        MindCVConvention(), MindSporeVisionConvention(), KerasConvention(), TransformersConvention(),
    ]

    /// The convention called `name` (or one of its aliases, case-insensitive).
    public static func named(_ name: String) -> (any NamingConvention)? {
        guard let id = Convention(parsing: name) else { return nil }
        return all.first { $0.name == id.rawValue }
    }

    /// The implementation of `id`, if this build has one.
    public static func convention(_ id: Convention) -> (any NamingConvention)? { all.first { $0.name == id.rawValue } }

    /// All convention names, for help texts.
    public static var names: [String] { all.map(\.name) }
}

/// A naming convention's identifier (`torchvision`, `mindvision`, …): the open-set vocabulary term whose registry is
/// `Conventions.all` (each convention declares its own aliases).
public struct Convention: VocabularyTerm {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let vocabularyName = "convention"

    public static var known: [Convention] { Conventions.all.map(\.id) }
    public static var aliases: [String: Convention] {
        var out: [String: Convention] = [:]
        for c in Conventions.all { for a in c.aliases { out[a] = c.id } }
        return out
    }
}
