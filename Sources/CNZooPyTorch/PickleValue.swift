/// A value produced by the data-only pickle machine. Values are flat: containers and objects live in a
/// `PickleArena` and are referenced by index, so shared references (the memo) keep pickle's identity semantics,
/// cycles are harmless, and no value is ever deeply nested in memory.
public enum PickleValue: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer outside Int64, as little-endian two's-complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    /// `arena.tuples[i]`.
    case tuple(Int)
    /// `arena.lists[i]` (also sets and frozensets).
    case list(Int)
    /// `arena.dicts[i]` (dict and `collections.OrderedDict`).
    case dict(Int)
    /// A reference to a global (`module.name`); recorded, never resolved.
    case global(module: String, name: String)
    /// `arena.objects[i]`: the result of calling a global (REDUCE, NEWOBJ, INST, OBJ) — recorded, never executed.
    case object(Int)
    /// `arena.persistentIDs[i]`: what BINPERSID / PERSID asked the loader for.
    case persistent(Int)

    /// A short kind name for messages.
    public var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case let .global(m, n): return "global \(m).\(n)"
        case .object: return "object"
        case .persistent: return "persistent id"
        }
    }
}

/// A call recorded by the machine instead of being made.
public struct PickleObject: Sendable {
    /// How it was created.
    public enum Kind: String, Sendable { case reduce = "REDUCE", newObj = "NEWOBJ", inst = "INST", obj = "OBJ", newObjEx = "NEWOBJ_EX" }
    public var kind: Kind
    /// The callable (normally a `.global`).
    public var callable: PickleValue
    /// The argument tuple.
    public var args: PickleValue
    /// States applied with BUILD, in order.
    public var states: [PickleValue] = []
    /// Items added with APPEND(S) / SETITEM(S) to a non-container object.
    public var listItems: [PickleValue] = []
    public var dictItems: [(PickleValue, PickleValue)] = []
    /// The pickle offset of the opcode that made it.
    public var offset: Int

    /// `module.name` of the callable when it is a global.
    public var callableName: String? {
        if case let .global(m, n) = callable { return "\(m).\(n)" }
        return nil
    }
}

/// Storage for every container and object a pickle built.
public struct PickleArena: Sendable {
    public var tuples: [[PickleValue]] = []
    public var lists: [[PickleValue]] = []
    public var dicts: [[(PickleValue, PickleValue)]] = []
    /// BUILD states applied to dicts (an `OrderedDict`'s `_metadata`).
    public var dictStates: [Int: [PickleValue]] = [:]
    public var objects: [PickleObject] = []
    public var persistentIDs: [PickleValue] = []

    public init() {}

    /// The items of a tuple value, or nil if it is not a tuple.
    public func tupleItems(_ v: PickleValue) -> [PickleValue]? {
        if case let .tuple(i) = v { return tuples[i] }
        return nil
    }

    /// The entries of a dict value, or nil if it is not a dict.
    public func dictEntries(_ v: PickleValue) -> [(PickleValue, PickleValue)]? {
        if case let .dict(i) = v { return dicts[i] }
        return nil
    }

    /// A short, bounded description of a value for notes and extras (never recursing more than `depth` levels).
    public func describe(_ v: PickleValue, depth: Int = 2) -> String {
        func clip(_ s: String) -> String { s.count > 80 ? String(s.prefix(77)) + "..." : s }
        switch v {
        case .none: return "None"
        case let .bool(b): return b ? "True" : "False"
        case let .int(i): return String(i)
        case let .bigInt(b): return "<int of \(b.count) bytes>"
        case let .float(f): return String(f)
        case let .string(s): return "'" + clip(s) + "'"
        case let .bytes(b): return "<\(b.count) bytes>"
        case let .global(m, n): return "\(m).\(n)"
        case .persistent: return "<persistent id>"
        case let .tuple(i):
            guard depth > 0 else { return "(...)" }
            return clip("(" + tuples[i].prefix(8).map { describe($0, depth: depth - 1) }.joined(separator: ", ") + ")")
        case let .list(i):
            guard depth > 0 else { return "[...]" }
            return clip("[" + lists[i].prefix(8).map { describe($0, depth: depth - 1) }.joined(separator: ", ") + "]")
        case let .dict(i):
            return "dict with \(dicts[i].count) entries"
        case let .object(i):
            let o = objects[i]
            let name = o.callableName ?? "object"
            // A plain object's attributes (argparse.Namespace and the like) are in its BUILD state.
            if depth > 0, let state = o.states.last, let entries = dictEntries(state) {
                let attrs = entries.prefix(12).map { k, v -> String in
                    let key: String
                    if case let .string(s) = k { key = s } else { key = describe(k, depth: 0) }
                    return "\(key)=\(describe(v, depth: depth - 1))"
                }
                return "\(name)(" + attrs.joined(separator: ", ") + (entries.count > 12 ? ", ...)" : ")")
            }
            if depth > 0, let args = tupleItems(o.args), !args.isEmpty {
                return clip("\(name)(" + args.prefix(6).map { describe($0, depth: depth - 1) }.joined(separator: ", ") + ")")
            }
            return "\(name)()"
        }
    }
}
