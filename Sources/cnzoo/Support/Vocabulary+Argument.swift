import ArgumentParser
import CNZooConversion
import CNZooCore
import CNZooMapping

/// Every vocabulary term parses the same way on every subcommand: registry spellings and aliases, case-insensitive.
extension VocabularyTerm where Self: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
    public static var allValueStrings: [String] { spellings }
    public var defaultValueDescription: String { rawValue }
}

extension Convention: ExpressibleByArgument {}
extension Family: ExpressibleByArgument {}
extension Activation: ExpressibleByArgument {}
extension ConversionTarget: ExpressibleByArgument {}

extension TargetNaming: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
    public static var allValueStrings: [String] { spellings }
}
