import CNZooCore

/// Where a canonical ConvMixer parameter sits, parsed from its canonical (timm) name.
public enum ConvMixerSite: Sendable, Equatable {
    case stemConv, stemBN
    case dwconv(block: Int), dwBN(block: Int), pwconv(block: Int), pwBN(block: Int)
    case head

    /// Parses a canonical name into (site, leaf).
    public static func parse(_ canonical: String) -> (site: ConvMixerSite, leaf: String)? {
        let p = canonical.split(separator: ".").map(String.init)
        if p.count == 3, p[0] == "stem" {
            if p[1] == "0" { return (.stemConv, p[2]) }
            if p[1] == "2" { return (.stemBN, p[2]) }
        }
        if p.count == 2, p[0] == "head" { return (.head, p[1]) }
        if p.count >= 4, p[0] == "blocks", let i = Int(p[1]) {
            if p.count == 6, p[2] == "0", p[3] == "fn" {
                if p[4] == "0" { return (.dwconv(block: i), p[5]) }
                if p[4] == "2" { return (.dwBN(block: i), p[5]) }
            }
            if p.count == 4, p[2] == "1" { return (.pwconv(block: i), p[3]) }
            if p.count == 4, p[2] == "3" { return (.pwBN(block: i), p[3]) }
        }
        return nil
    }

    /// Whether this is a BatchNorm.
    public var isBatchNorm: Bool {
        switch self {
        case .stemBN, .dwBN, .pwBN: return true
        default: return false
        }
    }

    /// The torch-style module path (`stem.2`, `blocks.3.0.fn.0`, `head`) of this site.
    public var timmPath: String {
        switch self {
        case .stemConv: return "stem.0"
        case .stemBN: return "stem.2"
        case let .dwconv(i): return "blocks.\(i).0.fn.0"
        case let .dwBN(i): return "blocks.\(i).0.fn.2"
        case let .pwconv(i): return "blocks.\(i).1"
        case let .pwBN(i): return "blocks.\(i).3"
        case .head: return "head"
        }
    }
}

extension ConvMixerSpec {
    /// Slots spelled by `name(site, leaf)`, in canonical order.
    func slots(_ name: (ConvMixerSite, String) -> (String, [String])) -> [Slot] {
        parameters().compactMap { p in
            guard let (site, leaf) = ConvMixerSite.parse(p.name) else { return nil }
            let n = name(site, leaf)
            return Slot(name: n.0, alternates: n.1, canonical: p.name, shape: p.shape, role: p.role)
        }
    }
}
