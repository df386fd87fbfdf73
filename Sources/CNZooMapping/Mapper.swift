import CNZooCore

/// How strictly the mapper treats tensors it cannot place.
public struct MappingOptions: Sendable {
    /// Stripped from every source name before matching (`module.`); names without it are matched as they are.
    public var prefix: String
    /// Carry tensors that match nothing under their own names, and tolerate missing ones, instead of failing.
    public var allowUnmapped: Bool
    /// Carry optimizer state and bookkeeping under their own names instead of dropping them.
    public var keepOptimizer: Bool
    /// Keep the values of the bookkeeping buffers the convention spells (BatchNorm `num_batches_tracked`) under
    /// their canonical names (`ArchitectureSpec.bookkeepingBuffers()`), after the parameters, for `encode` to write
    /// back; off: they are dropped as bookkeeping and the canonical checkpoint holds parameters only (what the
    /// forward models take).
    public var keepBuffers: Bool

    public init(prefix: String = "", allowUnmapped: Bool = false, keepOptimizer: Bool = false, keepBuffers: Bool = false) {
        self.prefix = prefix
        self.allowUnmapped = allowUnmapped
        self.keepOptimizer = keepOptimizer
        self.keepBuffers = keepBuffers
    }
}

/// Conversion failed because the source does not match the convention and spec exactly.
public struct MappingFailure: Error, CustomStringConvertible, Sendable {
    public var report: MappingReport
    /// What the names look like instead, when the detector has a better idea.
    public var hint: String?
    /// What the spec was (`convnext_tiny`).
    public var target: String

    public var description: String {
        var s = "tensors do not match \(report.convention) naming for \(target): \(report.countSummary)\n"
            + report.problemSummary()
        if let hint { s += "\nhint: \(hint)" }
        s += "\n(use --allow-unmapped to carry unexpected tensors and accept missing ones)"
        return s
    }

    /// The failure as a `CNZooError` (`mapping`, an input error).
    public var error: CNZooError { CNZooError(.mapping, description) }
}

/// A plan: which source tensor fills which slot, and what happens to the rest.
public struct MappingPlan: Sendable {
    /// The target slots, in the convention's file order.
    public var slots: [Slot]
    /// For each slot, the index of the source tensor that fills it (nil: missing).
    public var source: [Int?]
    /// Source indices carried through under their own (prefix-stripped) names.
    public var carried: [Int]
    /// Bookkeeping buffers the convention spells (`NamingConvention.synthesizedBuffers`): source index and the
    /// canonical name its value is kept under.
    public var buffers: [(source: Int, canonical: String)]
    public var report: MappingReport
}

/// Maps checkpoints between a convention's names and the canonical names, strictly, without copying tensor bytes.
public enum Mapper {
    /// Plans how `tensors` (names and shapes only) map onto `convention`'s slots for `spec`.
    public static func plan(names given: [String], shapes: [[Int]], convention: any NamingConvention,
                            spec: any ArchitectureSpec, options: MappingOptions = MappingOptions()) throws -> MappingPlan {
        // A self-describing convention respells the names first (Keras legacy layer paths → .weights.h5 paths).
        let names = (convention as? any SelfDescribingConvention)?.describe(names: given, shapes: shapes)?.names ?? given
        guard let slots = convention.slots(for: spec) else {
            throw CNZooError(.mapping, "the \(convention.name) convention does not name \(spec.family) models")
        }
        var index: [String: Int] = [:]
        for (i, s) in slots.enumerated() {
            index[s.name] = i
            for a in s.alternates where index[a] == nil { index[a] = i }
        }
        var bufferIndex: [String: SynthesizedBuffer] = [:]
        if options.keepBuffers {
            for b in convention.synthesizedBuffers(for: spec).values.joined() { bufferIndex[b.name] = b }
        }
        var buffers: [(source: Int, canonical: String)] = []
        var filled = [Int?](repeating: nil, count: slots.count)
        var report = MappingReport(convention: convention.name, architecture: spec.family, prefix: options.prefix,
                                   mapped: 0, missing: [], unexpected: [], shapeMismatch: [], duplicates: [],
                                   dropped: [], carried: [], notes: [])
        var carried: [Int] = []
        var wrongShape = Set<Int>()   // slots whose tensor is present with the wrong shape: not also "missing"
        var alternatesUsed = 0
        for (i, raw) in names.enumerated() {
            let name = raw.hasPrefix(options.prefix) ? String(raw.dropFirst(options.prefix.count)) : raw
            guard let slot = index[name] else {
                if let b = bufferIndex[name], b.shape == shapes[i], !buffers.contains(where: { $0.canonical == b.canonical }) {
                    buffers.append((i, b.canonical))
                    continue
                }
                if let kind = StateClassifier.classify(name, shape: shapes[i], isSlotName: { index[$0] != nil }) {
                    if options.keepOptimizer {
                        carried.append(i)
                        report.carried.append(raw)
                    } else {
                        report.dropped.append(.init(name: raw, kind: kind))
                    }
                } else {
                    report.unexpected.append(raw)
                    if options.allowUnmapped {
                        carried.append(i)
                        report.carried.append(raw)
                    }
                }
                continue
            }
            let s = slots[slot]
            guard s.accepts(shape: shapes[i]) else {
                report.shapeMismatch.append(.init(name: raw, expected: s.shape, found: shapes[i]))
                wrongShape.insert(slot)
                continue
            }
            if filled[slot] != nil {
                report.duplicates.append(raw)
                continue
            }
            if name != s.name { alternatesUsed += 1 }
            filled[slot] = i
            report.mapped += 1
        }
        report.missing = slots.indices.filter { filled[$0] == nil && !wrongShape.contains($0) }.map { slots[$0].name }
        if alternatesUsed > 0 {
            report.notes.append("\(Plural.count(alternatesUsed, "tensor")) used an alternative spelling accepted by "
                                + convention.name)
        }
        let optimizer = report.dropped.filter { $0.kind == .optimizer }.count
        let ema = report.dropped.filter { $0.kind == .ema }.count
        if optimizer > 0 {
            report.notes.append("dropped \(Plural.count(optimizer, "optimizer-state tensor")) (keep: --keep-optimizer)")
        }
        if ema > 0 {
            report.notes.append("dropped the \(ema)-tensor EMA copy (`ema.*`) saved next to the weights; converted the "
                                + "raw weights")
        }
        let bookkeeping = report.dropped.count - optimizer - ema
        if bookkeeping > 0 {
            report.notes.append("dropped \(Plural.count(bookkeeping, "bookkeeping tensor")) (step counters, learning "
                                + "rate, num_batches_tracked)")
        }
        if let first = buffers.first {
            let leaf = first.canonical.split(separator: ".").last.map(String.init) ?? first.canonical
            report.notes.append("kept the values of \(Plural.count(buffers.count, "\(leaf) buffer")) for the target "
                                + "(written where it has a place for them)")
        }
        if options.allowUnmapped && !report.unexpected.isEmpty {
            report.notes.append("carried \(Plural.count(report.unexpected.count, "unmapped tensor")) under their own names")
        }
        if options.allowUnmapped && !report.missing.isEmpty {
            let n = report.missing.count
            report.notes.append("\(Plural.count(n, "expected tensor")) \(n == 1 ? "is" : "are") missing from the source: "
                                + report.missing.joined(separator: ", "))
        }
        return MappingPlan(slots: slots, source: filled, carried: carried, buffers: buffers, report: report)
    }

    /// Whether `report` is acceptable under `options` (strict: exact; `allowUnmapped`: no shape or duplicate
    /// problems).
    public static func accepts(_ report: MappingReport, options: MappingOptions) -> Bool {
        if report.isExact { return true }
        return options.allowUnmapped && report.shapeMismatch.isEmpty && report.duplicates.isEmpty
    }

    /// Maps `checkpoint` from `convention` names to canonical names (canonical order, canonical shapes and layout),
    /// or throws `MappingFailure` with the full report and a detector hint. Reshaped slots keep their byte source;
    /// permuted slots (`Slot.Layout.permute`) become lazy permuted views, streamed by the writers.
    public static func decode(_ checkpoint: Checkpoint, from convention: any NamingConvention,
                              spec: any ArchitectureSpec,
                              options: MappingOptions = MappingOptions()) throws -> (Checkpoint, MappingReport) {
        let names = checkpoint.tensors.map(\.name)
        let shapes = checkpoint.tensors.map(\.shape)
        let plan = try plan(names: names, shapes: shapes, convention: convention, spec: spec, options: options)
        guard accepts(plan.report, options: options) else {
            throw MappingFailure(report: plan.report, hint: Detector.hint(names: names, shapes: shapes,
                                                                          tried: convention.name,
                                                                          prefix: options.prefix),
                                 target: describe(spec))
        }
        // Canonical order is the spec's parameter order.
        let canonicalOrder = spec.parameters().map(\.name)
        var bySlot: [String: Int] = [:]
        for (i, s) in plan.slots.enumerated() { bySlot[s.canonical] = i }
        var out = Checkpoint(metadata: checkpoint.metadata, extras: checkpoint.extras,
                             notes: checkpoint.notes + plan.report.notes)
        for c in canonicalOrder {
            guard let i = bySlot[c], let src = plan.source[i] else { continue }
            let t = checkpoint.tensors[src]
            let s = plan.slots[i]
            out.tensors.append(TensorEntry(name: c, dtype: t.dtype, shape: s.canonicalShape,
                                           data: try s.canonicalData(fromConvention: t.data, dtype: t.dtype)))
        }
        for (src, canonical) in plan.buffers {
            var t = checkpoint.tensors[src]
            t.name = canonical
            out.tensors.append(t)
        }
        for src in plan.carried {
            var t = checkpoint.tensors[src]
            if t.name.hasPrefix(options.prefix) { t.name = String(t.name.dropFirst(options.prefix.count)) }
            out.tensors.append(t)
        }
        return (out, plan.report)
    }

    /// Maps a canonical checkpoint to `convention` names in that convention's file order, reshaping (never copying)
    /// or permuting axes (a lazy view, never a whole-model copy) where its layout differs. Bookkeeping buffers the
    /// convention spells are written with the values the canonical checkpoint carries, or synthesised (zero) where
    /// its modules need them; carried buffers it has no place for are dropped with a note. Tensors that are not
    /// canonical parameters or buffers of `spec` (carried extras) follow under their own names.
    public static func encode(_ canonical: Checkpoint, to convention: any NamingConvention,
                              spec: any ArchitectureSpec) throws -> Checkpoint {
        guard let slots = convention.slots(for: spec) else {
            throw CNZooError(.mapping, "the \(convention.name) convention does not name \(spec.family) models")
        }
        var byName: [String: Int] = [:]
        for (i, t) in canonical.tensors.enumerated() { byName[t.name] = i }
        let buffers = convention.synthesizedBuffers(for: spec)
        let canonicalBuffers = Set(spec.bookkeepingBuffers().map(\.name))
        var used = Set<Int>()
        var synthesized = 0
        var out = Checkpoint(metadata: canonical.metadata, extras: canonical.extras, notes: canonical.notes)
        for s in slots {
            if let i = byName[s.canonical] {
                let t = canonical.tensors[i]
                guard t.shape == s.canonicalShape else {
                    throw CNZooError(.mapping, "expected shape \(s.canonicalShape), found \(t.shape)", tensor: t.name)
                }
                used.insert(i)
                out.tensors.append(TensorEntry(name: s.name, dtype: t.dtype, shape: s.shape,
                                               data: try s.conventionData(fromCanonical: t.data, dtype: t.dtype)))
            }
            for b in buffers[s.canonical] ?? [] {
                if let i = byName[b.canonical], canonical.tensors[i].shape == b.shape {
                    used.insert(i)
                    let t = canonical.tensors[i]
                    out.tensors.append(TensorEntry(name: b.name, dtype: t.dtype, shape: b.shape, data: t.data))
                } else if b.synthesized {
                    synthesized += 1
                    out.tensors.append(TensorEntry(name: b.name, dtype: b.dtype, shape: b.shape, data: .bytes(b.bytes)))
                }
            }
        }
        if synthesized > 0 {
            out.notes.append("added \(synthesized) buffers \(convention.name) modules carry (zero-valued counters)")
        }
        var homeless = 0
        for (i, t) in canonical.tensors.enumerated() where !used.contains(i) {
            if canonicalBuffers.contains(t.name) { homeless += 1 } else { out.tensors.append(t) }
        }
        if homeless > 0 {
            out.notes.append("dropped \(Plural.count(homeless, "bookkeeping buffer")) (num_batches_tracked): \(convention.name) "
                             + "naming has no place for them")
        }
        return out
    }

    /// `convnext_tiny` / `ConvNeXt depths [...]`.
    static func describe(_ spec: any ArchitectureSpec) -> String {
        ArchitectureFamilies.all.lazy.compactMap { $0.variantName(spec) }.first ?? spec.summary
    }
}
