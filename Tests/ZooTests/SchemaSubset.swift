import CNZooCore
import Foundation

/// A small JSON Schema (draft 2020-12) checker for the keywords `Zoo/schema.json` uses: `type`, `const`, `enum`,
/// `required`, `properties`, `items`, `oneOf`, `$ref` (local `#/$defs/...`), `minimum`, `maximum`,
/// `exclusiveMinimum`, `minItems`, `maxItems`, `pattern`, `additionalProperties`, and `$ref` to another schema by
/// its `$id` (given in `others`). Any other keyword in the schema is reported, so the schema cannot silently outgrow
/// this checker. (The full checks are `scripts/interop/check_zoo_schema.py` and `check_json_schema.py` with Python
/// `jsonschema`.)
struct SchemaSubset {
    let root: JSONValue
    /// Other schemas a `$ref` may name, by `$id`.
    let others: [String: JSONValue]
    static let understood: Set<String> = [
        "$schema", "$id", "$defs", "title", "description", "type", "const", "enum", "required", "properties", "items",
        "oneOf", "$ref", "minimum", "maximum", "exclusiveMinimum", "minItems", "maxItems", "pattern",
        "additionalProperties",
    ]

    init(_ root: JSONValue, others: [JSONValue] = []) {
        self.root = root
        var byID: [String: JSONValue] = [:]
        for o in others {
            if case .object(let m) = o, case .string(let id)? = m.first(where: { $0.0 == "$id" })?.1 { byID[id] = o }
        }
        self.others = byID
    }

    static func parse(file path: String) throws -> JSONValue {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        return try bytes.withUnsafeBytes { try JSONParser.parse($0) }
    }

    /// Keywords used anywhere in the schema that this checker does not implement.
    func unsupportedKeywords() -> Set<String> {
        var out = Set<String>()
        func walk(_ s: JSONValue, inProperties: Bool) {
            guard case .object(let members) = s else {
                if case .array(let items) = s { items.forEach { walk($0, inProperties: false) } }
                return
            }
            for (k, v) in members {
                if inProperties || k == "$defs" {
                    // Keys here are names, not keywords.
                    if case .object(let named) = v, !inProperties {
                        named.forEach { walk($0.1, inProperties: false) }
                    } else {
                        walk(v, inProperties: false)
                    }
                    continue
                }
                if !SchemaSubset.understood.contains(k) { out.insert(k) }
                walk(v, inProperties: k == "properties")
            }
        }
        walk(root, inProperties: false)
        return out
    }

    /// Every violation of `schema` by `value`, as "path: message".
    func errors(_ value: JSONValue) -> [String] {
        var out: [String] = []
        check(value, root, root, "$", &out)
        return out
    }

    /// Every object key in `value` that names a field (a key matched by `properties`, or any key where the schema
    /// says nothing), leaving out the keys of maps (objects the schema describes with `additionalProperties` only),
    /// which are data (tensor names, metadata keys, opcode names), not field names.
    func fieldNames(_ value: JSONValue) -> [String] {
        var out: [String] = []
        collectFields(value, root, root, &out)
        return out
    }

    private func collectFields(_ v: JSONValue, _ s: JSONValue?, _ doc: JSONValue, _ out: inout [String]) {
        var s = s, doc = doc
        if let schema = s, case .string(let ref)? = member(schema, "$ref"), let target = resolve(ref, in: doc) {
            (s, doc) = (target.schema, target.document)
        }
        if let schema = s, case .array(let alternatives)? = member(schema, "oneOf") {
            s = alternatives.first { alt in
                var e: [String] = []
                check(v, alt, doc, "$", &e)
                return e.isEmpty
            } ?? s
            if let chosen = s, case .string(let ref)? = member(chosen, "$ref"), let target = resolve(ref, in: doc) {
                (s, doc) = (target.schema, target.document)
            }
        }
        switch v {
        case .array(let items):
            items.forEach { collectFields($0, s.flatMap { member($0, "items") }, doc, &out) }
        case .object(let members):
            let props = s.flatMap { member($0, "properties") }
            let additional = s.flatMap { member($0, "additionalProperties") }
            for (key, mv) in members {
                if let sub = props.flatMap({ member($0, key) }) {
                    out.append(key)
                    collectFields(mv, sub, doc, &out)
                } else if let map = additional, case .object = map, props == nil {
                    collectFields(mv, map, doc, &out)
                } else {
                    out.append(key)
                    collectFields(mv, nil, doc, &out)
                }
            }
        default:
            break
        }
    }

    private func member(_ v: JSONValue, _ key: String) -> JSONValue? {
        guard case .object(let m) = v else { return nil }
        return m.first { $0.0 == key }?.1
    }

    /// The schema `ref` names and the document it lies in (`#/...` in `document`, or `<$id>#/...` in another).
    private func resolve(_ ref: String, in document: JSONValue) -> (schema: JSONValue, document: JSONValue)? {
        let parts = ref.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let doc = parts[0].isEmpty ? document : others[parts[0]] else { return nil }
        let pointer = parts.count > 1 ? parts[1] : ""
        var node = doc
        for part in pointer.split(separator: "/") {
            guard let next = member(node, String(part)) else { return nil }
            node = next
        }
        return (node, doc)
    }

    private func number(_ v: JSONValue) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    private func matchesType(_ v: JSONValue, _ t: String) -> Bool {
        switch (t, v) {
        case ("null", .null), ("boolean", .bool), ("integer", .int), ("number", .int), ("number", .double),
             ("string", .string), ("array", .array), ("object", .object): return true
        default: return false
        }
    }

    private func check(_ v: JSONValue, _ s: JSONValue, _ doc: JSONValue, _ path: String, _ out: inout [String]) {
        if case .string(let ref)? = member(s, "$ref") {
            guard let target = resolve(ref, in: doc) else { out.append("\(path): unresolvable $ref \(ref)"); return }
            check(v, target.schema, target.document, path, &out)
        }
        if let t = member(s, "type") {
            let types: [String]
            switch t {
            case .string(let one): types = [one]
            case .array(let many): types = many.compactMap { if case .string(let x) = $0 { return x } else { return nil } }
            default: types = []
            }
            guard types.contains(where: { matchesType(v, $0) }) else {
                out.append("\(path): expected \(types.joined(separator: "|")), found \(v.typeName)")
                return
            }
        }
        if let c = member(s, "const"), c != v { out.append("\(path): must be \(c.serialized())") }
        if case .array(let options)? = member(s, "enum"), !options.contains(v) {
            out.append("\(path): \(v.serialized()) is not one of \(JSONValue.array(options).serialized())")
        }
        if case .array(let alternatives)? = member(s, "oneOf") {
            let passing = alternatives.filter { alt in
                var e: [String] = []
                check(v, alt, doc, path, &e)
                return e.isEmpty
            }.count
            if passing != 1 { out.append("\(path): matches \(passing) of the oneOf alternatives, not exactly 1") }
        }
        if let n = number(v) {
            if let m = member(s, "minimum").flatMap(number), n < m { out.append("\(path): \(n) < minimum \(m)") }
            if let m = member(s, "maximum").flatMap(number), n > m { out.append("\(path): \(n) > maximum \(m)") }
            if let m = member(s, "exclusiveMinimum").flatMap(number), n <= m {
                out.append("\(path): \(n) <= exclusiveMinimum \(m)")
            }
        }
        if case .string(let str) = v, case .string(let pattern)? = member(s, "pattern") {
            if str.range(of: pattern, options: .regularExpression) == nil {
                out.append("\(path): '\(str)' does not match \(pattern)")
            }
        }
        if case .array(let items) = v {
            if let m = member(s, "minItems").flatMap(number), Double(items.count) < m {
                out.append("\(path): fewer than \(Int(m)) items")
            }
            if let m = member(s, "maxItems").flatMap(number), Double(items.count) > m {
                out.append("\(path): more than \(Int(m)) items")
            }
            if let itemSchema = member(s, "items") {
                for (i, item) in items.enumerated() { check(item, itemSchema, doc, "\(path)[\(i)]", &out) }
            }
        }
        if case .object(let members) = v {
            if case .array(let required)? = member(s, "required") {
                for case .string(let key) in required where !members.contains(where: { $0.0 == key }) {
                    out.append("\(path): missing required '\(key)'")
                }
            }
            var declared: Set<String> = []
            if case .object(let props)? = member(s, "properties") {
                for (key, sub) in props {
                    declared.insert(key)
                    if let mv = members.first(where: { $0.0 == key })?.1 { check(mv, sub, doc, "\(path).\(key)", &out) }
                }
            }
            switch member(s, "additionalProperties") {
            case .bool(false)?:
                for (key, _) in members where !declared.contains(key) { out.append("\(path): unexpected '\(key)'") }
            case let extra? where extra != .bool(true):
                for (key, mv) in members where !declared.contains(key) { check(mv, extra, doc, "\(path).\(key)", &out) }
            default:
                break
            }
        }
    }
}
