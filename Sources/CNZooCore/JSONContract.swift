import Foundation

/// cnzoo's version, as `cnzoo --version` prints it and as written into output metadata.
public enum CNZooVersion {
    public static let string = "0.2.0"
}

/// The one JSON style every `--json` output and library report follows: snake_case field names (Swift's camelCase
/// properties are converted; dictionary keys, which are data, are kept as they are), sorted keys, no escaped
/// slashes. Schemas for each command's output are in `docs/json/`.
public enum CNZooJSON {
    /// An encoder configured for the contract.
    public static func encoder(pretty: Bool = true) -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            : [.sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                 nan: "nan")
        return e
    }

    /// A decoder for documents written by `encoder()`.
    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }

    /// `value` as a JSON string in the contract's style.
    public static func string<T: Encodable>(_ value: T, pretty: Bool = true) throws -> String {
        String(decoding: try encoder(pretty: pretty).encode(value), as: UTF8.self)
    }
}

/// An optional field that is written as JSON `null` when absent instead of being left out, so that every documented
/// field of a report is always present (the schemas in `docs/json/` require them).
@propertyWrapper
public struct NullWhenAbsent<Value: Codable & Sendable>: Codable, Sendable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        wrappedValue = c.decodeNil() ? nil : try c.decode(Value.self)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if let v = wrappedValue { try c.encode(v) } else { try c.encodeNil() }
    }
}

extension NullWhenAbsent: Equatable where Value: Equatable {}
extension NullWhenAbsent: Hashable where Value: Hashable {}

extension KeyedDecodingContainer {
    /// A missing key decodes as an absent value.
    public func decode<T>(_ type: NullWhenAbsent<T>.Type, forKey key: Key) throws -> NullWhenAbsent<T> {
        try decodeIfPresent(type, forKey: key) ?? NullWhenAbsent(wrappedValue: nil)
    }
}
