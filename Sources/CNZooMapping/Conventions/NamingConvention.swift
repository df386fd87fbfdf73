import CNZooCore

/// One tensor a convention expects for a given architecture spec: its name in the convention, the spellings
/// accepted on input, the canonical name it maps to, and its shape in the convention's layout.
public struct Slot: Sendable, Equatable {
    /// The name this convention writes.
    public var name: String
    /// Other spellings accepted on input (framework versions differ, e.g. MindSpore norms `weight` vs `gamma`).
    public var alternates: [String]
    /// The canonical name (see `ConvNeXtSpec` / `ConvMixerSpec`).
    public var canonical: String
    /// Shape in this convention. It always has the canonical element count: layout changes are reshapes of the
    /// same bytes (torchvision layer scale `[C,1,1]` ⇄ canonical `[C]`), so mapping never copies data.
    public var shape: [Int]
    /// Shape in the canonical layout.
    public var canonicalShape: [Int]
    /// What the tensor is for.
    public var role: ParameterSpec.Role

    public init(name: String, alternates: [String] = [], canonical: String, shape: [Int], canonicalShape: [Int]? = nil,
                role: ParameterSpec.Role) {
        self.name = name
        self.alternates = alternates
        self.canonical = canonical
        self.shape = shape
        self.canonicalShape = canonicalShape ?? shape
        self.role = role
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
}

/// The registry of known conventions: adding one = one file conforming to `NamingConvention` plus one line here.
public enum Conventions {
    /// Every convention, canonical first.
    public static let all: [any NamingConvention] = [
        CanonicalConvention(), TorchVisionConvention(), OfficialConvention(), TimmConvention(),
        MindCVConvention(), MindSporeVisionConvention(),
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
