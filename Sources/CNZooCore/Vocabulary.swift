/// A term of one of cnzoo's open vocabularies (model families, frameworks, activations, naming conventions): a
/// `RawRepresentable` string, as `DType` is, with one registry of known terms and the aliases accepted on input.
///
/// Every subcommand, help text, the zoo validator and `fetch --source` read the registry, so a spelling is accepted
/// everywhere or nowhere. Unknown terms can still be carried by name (a manifest written by a newer cnzoo).
public protocol VocabularyTerm: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral where RawValue == String {
    /// The vocabulary's name in messages (`family`, `convention`).
    static var vocabularyName: String { get }
    /// Every known term, in the order help texts list them.
    static var known: [Self] { get }
    /// Other accepted spellings (lowercase) and the term each means.
    static var aliases: [String: Self] { get }
    init(rawValue: String)
}

extension VocabularyTerm {
    public static var aliases: [String: Self] { [:] }

    public init(stringLiteral value: String) { self.init(rawValue: value) }

    public var description: String { rawValue }

    /// The known term spelled `text` (case-insensitive; aliases accepted), or nil.
    public init?(parsing text: String) {
        let key = text.lowercased()
        if let hit = Self.known.first(where: { $0.rawValue == key }) {
            self = hit
        } else if let alias = Self.aliases[key] {
            self = alias
        } else {
            return nil
        }
    }

    /// The known term spelled `text`, or a usage error listing the known spellings.
    public static func parse(_ text: String) throws -> Self {
        guard let term = Self(parsing: text) else {
            throw CNZooError(.usage, "unknown \(vocabularyName) '\(text)' (known: \(spellings.joined(separator: ", ")))")
        }
        return term
    }

    /// Whether this term is in the registry.
    public var isKnown: Bool { Self.known.contains(self) }

    /// The known spellings, in registry order (for help texts and messages).
    public static var spellings: [String] { known.map(\.rawValue) }

    /// The aliases as one help phrase, `aliases: tv = torchvision, …` (empty when there are none); the spellings
    /// themselves are listed by the argument parser from `spellings`.
    public static var aliasHelp: String {
        let pairs = aliases.keys.sorted().map { "\($0) = \(aliases[$0]!.rawValue)" }
        return pairs.isEmpty ? "" : "aliases: " + pairs.joined(separator: ", ")
    }

    /// The spellings and aliases as one line for messages: `torchvision (tv), official (fb, facebook), …`.
    public static var helpList: String {
        known.map { term in
            let others = aliases.filter { $0.value == term }.keys.sorted()
            return others.isEmpty ? term.rawValue : "\(term.rawValue) (\(others.joined(separator: ", ")))"
        }.joined(separator: ", ")
    }

    public init(from decoder: Decoder) throws { self.init(rawValue: try decoder.singleValueContainer().decode(String.self)) }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// A model family: one architecture with its sizes (`convnext`, `convmixer`).
public struct Family: VocabularyTerm {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let vocabularyName = "family"

    public static let convnext = Family(rawValue: "convnext")
    public static let convmixer = Family(rawValue: "convmixer")
    public static let known: [Family] = [.convnext, .convmixer]
}

/// The framework a checkpoint comes from: decides the numerics that verify it and the format it usually lives in.
public struct Framework: VocabularyTerm {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let vocabularyName = "framework"

    public static let pytorch = Framework(rawValue: "pytorch")
    public static let mindspore = Framework(rawValue: "mindspore")
    public static let keras = Framework(rawValue: "keras")
    /// cnzoo's own neutral naming.
    public static let neutral = Framework(rawValue: "neutral")
    public static let known: [Framework] = [.pytorch, .mindspore, .keras, .neutral]
    public static let aliases: [String: Framework] = ["torch": .pytorch, "ms": .mindspore]
}

/// A non-linearity a model family can be built with. ConvNeXt uses GELU (exact in PyTorch, tanh-approximated by
/// MindSpore's `nn.GELU()`); ConvMixer releases use GELU or ReLU, which no state dict records.
public struct Activation: VocabularyTerm {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let vocabularyName = "activation"

    /// Exact GELU, `x·Φ(x)` (erf form).
    public static let gelu = Activation(rawValue: "gelu")
    /// GELU's tanh approximation (MindSpore `nn.GELU()` default).
    public static let geluTanh = Activation(rawValue: "gelu-tanh")
    public static let relu = Activation(rawValue: "relu")
    public static let known: [Activation] = [.gelu, .geluTanh, .relu]
    public static let aliases: [String: Activation] = ["erf": .gelu, "gelu-erf": .gelu, "tanh": .geluTanh]
}
