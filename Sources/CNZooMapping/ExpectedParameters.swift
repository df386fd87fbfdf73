import CNZooCore

/// One parameter an architecture expects, as every convention spells it (what `cnzoo info` shows).
public struct ExpectedParameter: Codable, Sendable, Equatable {
    /// The canonical name.
    public var canonical: String
    /// The canonical shape.
    public var shape: [Int]
    /// What the parameter is for (`convWeight`, `layerScale`, …).
    public var role: String
    /// The name in each convention that names the family.
    public var names: [String: String]
    /// The shape in conventions whose layout differs from the canonical one (torchvision layer scale `[C,1,1]`).
    public var shapes: [String: [Int]]

    /// The conventions that name `spec`'s family (registry order), and every parameter of `spec` with its names.
    public static func table(for spec: any ArchitectureSpec) -> (conventions: [String], parameters: [ExpectedParameter]) {
        var names: [String: [String: String]] = [:]
        var shapes: [String: [String: [Int]]] = [:]
        var conventions: [String] = []
        for c in Conventions.all {
            guard let slots = c.slots(for: spec) else { continue }
            conventions.append(c.name)
            for slot in slots {
                names[slot.canonical, default: [:]][c.name] = slot.name
                shapes[slot.canonical, default: [:]][c.name] = slot.shape
            }
        }
        return (conventions, spec.parameters().map { p in
            ExpectedParameter(canonical: p.name, shape: p.shape, role: p.role.rawValue, names: names[p.name] ?? [:],
                              shapes: (shapes[p.name] ?? [:]).filter { $0.value != p.shape })
        })
    }
}
