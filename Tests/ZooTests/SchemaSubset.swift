import CNZooCore
import Foundation

/// A small JSON Schema (draft 2020-12) checker for the keywords `Zoo/schema.json` uses: `type`, `const`, `enum`,
/// `required`, `properties`, `items`, `oneOf`, `$ref` (local `#/$defs/...`), `minimum`, `maximum`,
/// `exclusiveMinimum`, `minItems`, `maxItems`, `pattern`. Any other keyword in the schema is reported, so the
/// schema cannot silently outgrow this checker. (The full check is `scripts/interop/zoo_schema.py` with Python
/// `jsonschema`.)
struct SchemaSubset {
    let root: JSONValue
    static let understood: Set<String> = [
        "$schema", "$id", "$defs", "title", "description", "type", "const", "enum", "required", "properties", "items",
        "oneOf", "$ref", "minimum", "maximum", "exclusiveMinimum", "minItems", "maxItems", "pattern",
    ]

    init(_ root: JSONValue) { self.root = root }

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
        check(value, root, "$", &out)
        return out
    }

    private func member(_ v: JSONValue, _ key: String) -> JSONValue? {
        guard case .object(let m) = v else { return nil }
        return m.first { $0.0 == key }?.1
    }

    private func resolve(_ ref: String) -> JSONValue? {
        guard ref.hasPrefix("#/") else { return nil }
        var node = root
        for part in ref.dropFirst(2).split(separator: "/") {
            guard let next = member(node, String(part)) else { return nil }
            node = next
        }
        return node
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

    private func check(_ v: JSONValue, _ s: JSONValue, _ path: String, _ out: inout [String]) {
        if case .string(let ref)? = member(s, "$ref") {
            guard let target = resolve(ref) else { out.append("\(path): unresolvable $ref \(ref)"); return }
            check(v, target, path, &out)
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
                check(v, alt, path, &e)
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
                for (i, item) in items.enumerated() { check(item, itemSchema, "\(path)[\(i)]", &out) }
            }
        }
        if case .object(let members) = v {
            if case .array(let required)? = member(s, "required") {
                for case .string(let key) in required where !members.contains(where: { $0.0 == key }) {
                    out.append("\(path): missing required '\(key)'")
                }
            }
            if case .object(let props)? = member(s, "properties") {
                for (key, sub) in props {
                    if let mv = members.first(where: { $0.0 == key })?.1 { check(mv, sub, "\(path).\(key)", &out) }
                }
            }
        }
    }
}
