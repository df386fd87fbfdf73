/// A non-tensor value found in a checkpoint (an epoch counter, a string, a training-args object...).
public struct CheckpointExtra: Sendable, Codable, Equatable {
    /// What kind of value it is.
    public enum Value: Sendable, Equatable {
        case int(Int64)
        case float(Double)
        case bool(Bool)
        case string(String)
        /// Something cnzoo does not interpret (a pickled object, a map tensor...), described in words.
        case opaque(String)
    }

    public var name: String
    public var value: Value

    public init(name: String, value: Value) {
        self.name = name
        self.value = value
    }

    private enum CodingKeys: String, CodingKey { case name, type, value }

    /// The type name written in JSON (`int`, `float`, `bool`, `string`, `opaque`).
    public var typeName: String {
        switch value {
        case .int: return "int"
        case .float: return "float"
        case .bool: return "bool"
        case .string: return "string"
        case .opaque: return "opaque"
        }
    }

    /// Encoded as `{"name": …, "type": "int|float|bool|string|opaque", "value": …}` (an opaque value is its
    /// description).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(typeName, forKey: .type)
        switch value {
        case let .int(v): try c.encode(v, forKey: .value)
        case let .float(v): try c.encode(v, forKey: .value)
        case let .bool(v): try c.encode(v, forKey: .value)
        case let .string(v), let .opaque(v): try c.encode(v, forKey: .value)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        switch try c.decode(String.self, forKey: .type) {
        case "int": value = .int(try c.decode(Int64.self, forKey: .value))
        case "float": value = .float(try c.decode(Double.self, forKey: .value))
        case "bool": value = .bool(try c.decode(Bool.self, forKey: .value))
        case "string": value = .string(try c.decode(String.self, forKey: .value))
        default: value = .opaque(try c.decode(String.self, forKey: .value))
        }
    }

    /// The value as a short human string.
    public var displayValue: String {
        switch value {
        case let .int(v): return String(v)
        case let .float(v): return String(v)
        case let .bool(v): return String(v)
        case let .string(s): return "\"\(s)\""
        case let .opaque(s): return "<\(s)>"
        }
    }
}

/// The neutral in-memory checkpoint every reader produces and every writer consumes: tensors in file order, string
/// metadata, and non-tensor extras. Tensor bytes stay lazy until a writer or the forward pass reads them.
public struct Checkpoint: Sendable {
    public var tensors: [TensorEntry]
    /// String → string metadata (safetensors `__metadata__`, facts found by readers).
    public var metadata: [String: String]
    /// Non-tensor values, in the order found.
    public var extras: [CheckpointExtra]
    /// Human-readable notes from the reader (what it picked, stripped or refused).
    public var notes: [String]

    public init(tensors: [TensorEntry] = [], metadata: [String: String] = [:], extras: [CheckpointExtra] = [],
                notes: [String] = []) {
        self.tensors = tensors
        self.metadata = metadata
        self.extras = extras
        self.notes = notes
    }

    /// The tensor named `name`, if present.
    public func tensor(named name: String) -> TensorEntry? { tensors.first { $0.name == name } }

    /// The model's parameters, counted as papers, model cards and timm count them: elements of the model's own
    /// weights only — not BatchNorm running statistics or `num_batches_tracked` (``TensorRole/isBuffer(_:)``), not
    /// optimizer state or training bookkeeping, not the EMA copy some trainers save next to the weights
    /// (``TensorRole``). timm's `convmixer_768_32` reads 21,110,248 here; ``elementCount`` is every element.
    public var parameterCount: Int {
        tensors.reduce(0) { n, t in
            TensorRole.classify(t.name) == .weight && !TensorRole.isBuffer(t.name) ? n + t.elementCount : n
        }
    }
    /// Total number of elements over all tensors, whatever they are.
    public var elementCount: Int { tensors.reduce(0) { $0 + $1.elementCount } }
    /// Total tensor bytes.
    public var byteCount: Int { tensors.reduce(0) { $0 + $1.byteCount } }
}
