import CNZooCore

/// What the detector concluded about a checkpoint from its names and shapes.
public struct Detection: Sendable {
    public var convention: any NamingConvention
    public var family: Family
    /// The architecture spec read back from the shapes.
    public var spec: any ArchitectureSpec
    /// The published variant (`convnext_base`), nil for a custom configuration.
    public var variant: String?
    /// The wrapper prefix every name carries (`module.`), empty if none.
    public var prefix: String
    /// The fraction of tensors that map exactly (1 = every tensor maps, nothing missing).
    public var confidence: Double
    /// Observations worth telling the user (prefixes found, 22k head, optimizer state present).
    public var hints: [String]
    /// The strict mapping report for this reading.
    public var report: MappingReport
}

/// Infers convention, architecture and variant from tensor names and shapes alone (no tensor bytes are read).
public enum Detector {
    /// Wrapper prefixes training code adds to every name, and what adds them.
    static let wrapperPrefixes: [(prefix: String, source: String)] = [
        ("module.", "DDP/DataParallel"), ("_orig_mod.", "torch.compile"), ("ema.", "an EMA wrapper"),
        ("model_ema.", "an EMA wrapper"), ("model.", "a model wrapper"),
    ]
    /// Upper bound on block indices considered (bounds the work on hostile names).
    static let maxIndex = 1024

    /// Every (family, convention, prefix) reading that yields a spec, best first.
    public static func rank(names: [String], shapes: [[Int]]) -> [Detection] {
        let prefixes = candidatePrefixes(names)
        let maxIdx = min(maxIndex, names.reduce(0) { m, n in
            n.split(separator: ".").reduce(m) { max($0, Int($1) ?? 0) }
        })
        var found: [(Detection, Int)] = []
        for case let convention as any SelfDescribingConvention in Conventions.all {
            guard let (spec, _) = convention.describe(names: names, shapes: shapes),
                  let family = ArchitectureFamilies.all.first(where: { $0.name == spec.family }),
                  let plan = try? Mapper.plan(names: names, shapes: shapes, convention: convention, spec: spec) else { continue }
            found.append((Detection(convention: convention, family: family.name, spec: spec,
                                    variant: family.variantName(spec), prefix: "", confidence: plan.report.matchFraction,
                                    hints: hints(prefix: "", spec: spec, report: plan.report), report: plan.report), 0))
        }
        // Every name with each candidate prefix stripped: a convention is only worth its full skeleton if one of its
        // smallest skeleton's names (among them the stem, without which `infer` finds no spec) is here.
        let stripped = Set(prefixes.flatMap { p in names.lazy.filter { $0.hasPrefix(p) }.map { String($0.dropFirst(p.count)) } })
        for family in ArchitectureFamilies.all {
            let skeletons = family.skeletons(maxIndex: maxIdx)
            let probes = family.skeletons(maxIndex: 0)
            for convention in Conventions.all where !(convention is any SelfDescribingConvention) {
                guard probes.contains(where: { probe in
                    convention.slots(for: probe)?.contains { s in
                        stripped.contains(s.name) || s.alternates.contains(where: stripped.contains)
                    } ?? false
                }) else { continue }
                let skeletonSlots = skeletons.compactMap { convention.slots(for: $0) }.flatMap { $0 }
                guard !skeletonSlots.isEmpty else { continue }
                var lookup: [String: String] = [:]
                for s in skeletonSlots {
                    if lookup[s.name] == nil { lookup[s.name] = s.canonical }
                    for a in s.alternates where lookup[a] == nil { lookup[a] = s.canonical }
                }
                for prefix in prefixes {
                    var canonicalShapes: [String: [Int]] = [:]
                    for (n, shape) in zip(names, shapes) {
                        let stripped = n.hasPrefix(prefix) ? String(n.dropFirst(prefix.count)) : n
                        if let c = lookup[stripped] { canonicalShapes[c] = shape }
                    }
                    guard let spec = family.infer(canonicalShapes),
                          let plan = try? Mapper.plan(names: names, shapes: shapes, convention: convention, spec: spec,
                                                      options: MappingOptions(prefix: prefix)) else { continue }
                    // Evidence of a framework: the buffers its modules hold (carried-only places are no evidence).
                    let buffers = Set(convention.synthesizedBuffers(for: spec).values.joined().filter(\.synthesized).map(\.name))
                    let bufferHits = names.filter { buffers.contains($0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0) }.count
                    let d = Detection(convention: convention, family: family.name, spec: spec,
                                      variant: family.variantName(spec), prefix: prefix,
                                      confidence: plan.report.matchFraction,
                                      hints: hints(prefix: prefix, spec: spec, report: plan.report),
                                      report: plan.report)
                    found.append((d, bufferHits))
                }
            }
        }
        // Best fraction first; on a tie the convention whose framework buffers are present, then registry order.
        return found.enumerated().sorted { a, b in
            if a.element.0.confidence != b.element.0.confidence { return a.element.0.confidence > b.element.0.confidence }
            if a.element.1 != b.element.1 { return a.element.1 > b.element.1 }
            return a.offset < b.offset
        }.map(\.element.0)
    }

    /// The best reading, or nil when no family/convention explains the names at all.
    public static func detect(names: [String], shapes: [[Int]]) -> Detection? {
        rank(names: names, shapes: shapes).first
    }

    /// A one-line hint for a failed mapping: what the names look like instead of `tried` with `prefix`.
    public static func hint(names: [String], shapes: [[Int]], tried: String, prefix: String) -> String? {
        guard let d = detect(names: names, shapes: shapes), d.confidence > 0.5 else {
            return "the names match no known convention; run `cnzoo inspect` to see them"
        }
        if d.convention.name == tried && d.prefix == prefix { return nil }
        var s = "looks like \(d.convention.name) naming"
        if !d.prefix.isEmpty { s += " with a `\(d.prefix)` prefix" }
        s += " (\(d.variant ?? d.spec.summary), \(Int((d.confidence * 100).rounded()))% of tensors match)"
        return s
    }

    /// When no reading fits the names as they are: the leading name component (`backbone.`, `encoder.`) under which
    /// a known model sits exactly — a detection or segmentation checkpoint's backbone — as a hint naming
    /// `--strip-prefix` (and `--allow-unmapped` when other tensors sit beside it). The three most common leading
    /// components are tried.
    public static func wrappedModelHint(names: [String], shapes: [[Int]]) -> String? {
        var counts: [String: Int] = [:]
        for n in names {
            if let dot = n.firstIndex(of: "."), dot != n.startIndex { counts[String(n[...dot]), default: 0] += 1 }
        }
        let leading = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(3)
        for (p, _) in leading {
            let kept = names.indices.filter { names[$0].hasPrefix(p) }
            guard let d = detect(names: kept.map { String(names[$0].dropFirst(p.count)) }, shapes: kept.map { shapes[$0] }),
                  d.confidence == 1 else { continue }
            let others = names.count - kept.count
            return "the \(Plural.count(kept.count, "tensor")) under '\(p)' are a \(d.family) (\(d.variant ?? d.spec.summary); "
                + "\(d.spec.summary.contains("no head") ? "no head, " : "")\(d.convention.name) naming): pass --strip-prefix \(p)"
                + (others > 0 ? " --allow-unmapped (\(Plural.count(others, "other tensor")) carried under their own names)" : "")
                + " to convert them as such"
        }
        return nil
    }

    /// Prefixes to try: none, and the chain of known wrapper prefixes at least half of the names start with.
    static func candidatePrefixes(_ names: [String]) -> [String] {
        var out = [""]
        var current = ""
        var progress = true
        while progress && !names.isEmpty {
            progress = false
            for (p, _) in wrapperPrefixes {
                let full = current + p
                if names.filter({ $0.hasPrefix(full) }).count * 2 >= names.count {
                    current = full
                    out.append(current)
                    progress = true
                    break
                }
            }
            if out.count > 4 { break }
        }
        return out
    }

    static func hints(prefix: String, spec: any ArchitectureSpec, report: MappingReport) -> [String] {
        var h: [String] = []
        var rest = Substring(prefix)
        while !rest.isEmpty {
            guard let w = wrapperPrefixes.first(where: { rest.hasPrefix($0.prefix) }) else { break }
            h.append("names carry a `\(w.prefix)` prefix (\(w.source))")
            rest = rest.dropFirst(w.prefix.count)
        }
        if let c = spec as? ConvNeXtSpec, c.numClasses == 21841 { h.append("21841-class head (ImageNet-22k)") }
        if let c = spec as? ConvNeXtSpec, !c.layerScale { h.append("no layer scale") }
        let optimizer = report.dropped.filter { $0.kind == .optimizer }.count
        if optimizer > 0 { h.append("\(optimizer) optimizer-state tensors present") }
        return h
    }
}
