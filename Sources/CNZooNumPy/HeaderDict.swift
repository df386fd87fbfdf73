import CNZooCore

/// A parser for the small Python literal a `.npy` header holds: a dict with string keys whose values are strings,
/// booleans or tuples of non-negative integers. Anything else is refused.
enum HeaderDict {
    enum Value: Equatable {
        case string(String)
        case bool(Bool)
        case tuple([Int])
    }

    static func parse(_ text: String, offset: Int) throws -> [String: Value] {
        var p = Parser(chars: Array(text.unicodeScalars), base: offset)
        return try p.dict()
    }

    struct Parser {
        let chars: [Unicode.Scalar]
        let base: Int
        var i = 0

        func fail(_ what: String) -> CNZooError {
            CNZooError(.malformed, "bad .npy header: \(what) at header character \(i)", offset: base)
        }

        mutating func skipSpace() { while i < chars.count, chars[i] == " " || chars[i] == "\n" || chars[i] == "\t" || chars[i] == "\r" { i += 1 } }

        mutating func expect(_ c: Unicode.Scalar) throws {
            skipSpace()
            guard i < chars.count, chars[i] == c else { throw fail("expected '\(c)'") }
            i += 1
        }

        mutating func peek() -> Unicode.Scalar? { skipSpace(); return i < chars.count ? chars[i] : nil }

        mutating func dict() throws -> [String: Value] {
            try expect("{")
            var out: [String: Value] = [:]
            while true {
                if peek() == "}" { i += 1; break }
                let key = try string()
                try expect(":")
                guard out[key] == nil else { throw fail("duplicate key '\(key)'") }
                out[key] = try value()
                if peek() == "," { i += 1; continue }
                try expect("}")
                break
            }
            skipSpace()
            guard i == chars.count else { throw fail("unexpected text after the dict") }
            return out
        }

        mutating func string() throws -> String {
            guard let q = peek(), q == "'" || q == "\"" else { throw fail("expected a quoted string") }
            i += 1
            var s = ""
            while i < chars.count, chars[i] != q {
                guard chars[i] != "\\" else { throw fail("escape sequences are not supported") }
                s.unicodeScalars.append(chars[i])
                i += 1
                guard s.unicodeScalars.count <= 256 else { throw fail("string too long") }
            }
            guard i < chars.count else { throw fail("unterminated string") }
            i += 1
            return s
        }

        mutating func value() throws -> Value {
            guard let c = peek() else { throw fail("expected a value") }
            if c == "'" || c == "\"" { return .string(try string()) }
            if c == "(" { return .tuple(try tuple()) }
            for (word, v) in [("True", true), ("False", false)] {
                let w = Array(word.unicodeScalars)
                if i + w.count <= chars.count, Array(chars[i..<(i + w.count)]) == w { i += w.count; return .bool(v) }
            }
            throw fail("unsupported value")
        }

        mutating func tuple() throws -> [Int] {
            try expect("(")
            var out: [Int] = []
            while true {
                if peek() == ")" { i += 1; return out }
                out.append(try integer())
                guard out.count <= Limits.maxRank else {
                    throw Limits.exceeded("maxRank", Limits.maxRank, "array rank", offset: base)
                }
                if peek() == "," { i += 1; continue }
                try expect(")")
                return out
            }
        }

        mutating func integer() throws -> Int {
            skipSpace()
            var v = 0
            var digits = 0
            while i < chars.count, let d = Int(String(chars[i])), chars[i].isASCII {
                guard digits < 18 else { throw fail("dimension too large") }
                v = v * 10 + d
                digits += 1
                i += 1
            }
            // Python 2 era headers may write `3L`.
            if i < chars.count, chars[i] == "L" { i += 1 }
            guard digits > 0 else { throw fail("expected a non-negative integer") }
            return v
        }
    }
}
