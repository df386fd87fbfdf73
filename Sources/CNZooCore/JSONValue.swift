/// A strict JSON value with objects kept in document order, for parsing untrusted headers (safetensors, .npy-adjacent
/// metadata) where key order, duplicate keys, exact integers and error offsets matter.
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// An integer that fits in `Int64` (also used for unsigned values up to `Int64.max`).
    case int(Int64)
    /// Any other number.
    case double(Double)
    case string(String)
    case array([JSONValue])
    /// Members in document order.
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// A short name of the value's type, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// Parses JSON text strictly (RFC 8259): no trailing commas, no comments, duplicate object keys rejected.
/// Errors are `.malformed` with the byte offset (plus `baseOffset`) of the problem.
public struct JSONParser {
    private var c: ByteCursor
    private var depth = 0

    /// Parses exactly one JSON value surrounded by optional whitespace.
    public static func parse(_ bytes: UnsafeRawBufferPointer, baseOffset: Int = 0) throws -> JSONValue {
        var p = JSONParser(c: ByteCursor(bytes, baseOffset: baseOffset))
        p.skipWS()
        let v = try p.value()
        p.skipWS()
        guard p.c.isAtEnd else { throw p.fail("unexpected data after the JSON value") }
        return v
    }

    private func fail(_ msg: String) -> CNZooError {
        CNZooError(.malformed, "invalid JSON: \(msg)", offset: c.fileOffset)
    }

    private func peek() -> UInt8? { c.isAtEnd ? nil : c.bytes[c.position] }

    private mutating func skipWS() {
        while let b = peek(), b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { _ = c.readByte() }
    }

    private mutating func expect(_ literal: String) throws {
        for u in literal.utf8 {
            guard c.readByte() == u else { throw fail("expected '\(literal)'") }
        }
    }

    private mutating func value() throws -> JSONValue {
        guard let b = peek() else { throw fail("unexpected end of input") }
        switch b {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("unexpected character '\(Unicode.Scalar(b))'")
        }
    }

    private mutating func enter() throws {
        depth += 1
        if depth > Limits.maxNestingDepth {
            throw Limits.exceeded("maxNestingDepth", Limits.maxNestingDepth, "JSON nesting", offset: c.fileOffset)
        }
    }

    private mutating func object() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        _ = c.readByte()
        var members: [(String, JSONValue)] = []
        var seen = Set<String>()
        skipWS()
        if peek() == UInt8(ascii: "}") { _ = c.readByte(); return .object([]) }
        while true {
            skipWS()
            guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let keyOffset = c.fileOffset
            let key = try string()
            guard seen.insert(key).inserted else {
                throw CNZooError(.malformed, "invalid JSON: duplicate key \"\(key)\"", offset: keyOffset)
            }
            skipWS()
            guard c.readByte() == UInt8(ascii: ":") else { throw fail("expected ':'") }
            skipWS()
            members.append((key, try value()))
            skipWS()
            switch c.readByte() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"): return .object(members)
            default: throw fail("expected ',' or '}'")
            }
        }
    }

    private mutating func array() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        _ = c.readByte()
        var items: [JSONValue] = []
        skipWS()
        if peek() == UInt8(ascii: "]") { _ = c.readByte(); return .array([]) }
        while true {
            skipWS()
            items.append(try value())
            skipWS()
            switch c.readByte() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"): return .array(items)
            default: throw fail("expected ',' or ']'")
            }
        }
    }

    private mutating func hex4() throws -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let h = c.readByte() else { throw fail("truncated \\u escape") }
            let d: UInt32
            switch h {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(h - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(h - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(h - UInt8(ascii: "A") + 10)
            default: throw fail("bad hex digit in \\u escape")
            }
            v = v << 4 | d
        }
        return v
    }

    private mutating func string() throws -> String {
        _ = c.readByte()
        var out = [UInt8]()
        while true {
            guard let b = c.readByte() else { throw fail("unterminated string") }
            switch b {
            case UInt8(ascii: "\""):
                guard let s = String(validating: out, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
                return s
            case UInt8(ascii: "\\"):
                guard let e = c.readByte() else { throw fail("unterminated escape") }
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard c.readByte() == UInt8(ascii: "\\"), c.readByte() == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate")
                        }
                        let lo = try hex4()
                        guard (0xDC00..<0xE000).contains(lo) else { throw fail("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (lo - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw fail("unpaired surrogate")
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw fail("invalid escape")
                }
            case 0..<0x20: throw fail("control character in string")
            default: out.append(b)
            }
        }
    }

    private mutating func number() throws -> JSONValue {
        let start = c.position
        if peek() == UInt8(ascii: "-") { _ = c.readByte() }
        guard let first = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            throw fail("expected a digit")
        }
        if first == UInt8(ascii: "0") {
            _ = c.readByte()
        } else {
            while let d = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(d) { _ = c.readByte() }
        }
        var isInt = true
        if peek() == UInt8(ascii: ".") {
            isInt = false
            _ = c.readByte()
            guard let d = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(d) else { throw fail("expected a digit") }
            while let d = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(d) { _ = c.readByte() }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            isInt = false
            _ = c.readByte()
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { _ = c.readByte() }
            guard let d = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(d) else { throw fail("expected a digit") }
            while let d = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(d) { _ = c.readByte() }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: c.bytes[start..<c.position]), as: UTF8.self)
        if isInt, let v = Int64(text) { return .int(v) }
        guard let d = Double(text) else { throw fail("number out of range") }
        return .double(d)
    }
}

extension JSONValue {
    /// Serialises compactly, keeping object order. Strings are escaped minimally (RFC 8259).
    public func serialized() -> String {
        var out = ""
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .double(d): out += String(d)
        case let .string(s): JSONValue.writeString(s, into: &out)
        case let .array(a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                v.write(into: &out)
            }
            out += "]"
        case let .object(m):
            out += "{"
            for (i, (k, v)) in m.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(k, into: &out)
                out += ":"
                v.write(into: &out)
            }
            out += "}"
        }
    }

    /// Appends `s` as a JSON string literal.
    public static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}
