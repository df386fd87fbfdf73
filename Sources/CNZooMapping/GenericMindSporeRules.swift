import CNZooCore

/// What a module of an unknown architecture is, as far as its MindSpore name and shape go. Told from the tensors
/// (`GenericMindSporeRules`) or named by the user (`convert --layer MODULE=KIND`) where the tensors cannot tell.
public enum GenericLayerKind: String, Sendable, Codable, CaseIterable {
    /// BatchNorm: torch `weight/bias/running_mean/running_var` (+ `num_batches_tracked`) ⇄ MindSpore
    /// `gamma/beta/moving_mean/moving_variance`.
    case batchnorm
    /// LayerNorm / GroupNorm / InstanceNorm affine: `weight/bias` ⇄ `gamma/beta`.
    case norm
    /// Embedding: `weight` ⇄ `embedding_table`.
    case embedding
    /// PReLU: `weight` ⇄ `w`.
    case prelu
    /// Conv1d: weight `[out, in/groups, k]` ⇄ `[out, in/groups, 1, k]`.
    case conv1d
    /// Dense / Conv2d / anything else: names and shapes unchanged.
    case keep
}

/// One rule `GenericMindSporeRules` applied, how many modules it touched, and the first few of them.
public struct AppliedRule: Sendable, Codable, Equatable {
    /// The rule in words (`BatchNorm weight/bias/running_mean/running_var → gamma/beta/moving_mean/moving_variance`).
    public var rule: String
    /// How many modules it was applied to.
    public var count: Int
    /// The first modules (at most 5).
    public var examples: [String]
}

/// MindSpore's generic parameter naming (`mindspore.nn` cells, MindSpore 2.x) for models cnzoo has no
/// architecture for, and its inverse. Only the rules that change a name or a shape exist: BatchNorm, LayerNorm /
/// GroupNorm affine, Embedding, PReLU and Conv1d; Dense and Conv2d keep torch's names and shapes.
///
/// A module is the name up to its last dot; its kind is told from its tensors (running statistics siblings make a
/// BatchNorm, a 1-D weight with a 1-D bias a norm affine, a 3-D weight a Conv1d). Where the tensors fit two kinds
/// (a 2-D weight without bias: Embedding or bias-free Linear; a 1-D weight without bias: PReLU or bias-free norm;
/// a MindSpore `[out, in, 1, k]` weight: Conv1d or a 1×k Conv2d) nothing is guessed: the conversion is refused
/// naming each module and the `--layer MODULE=KIND` that resolves it.
public enum GenericMindSporeRules {
    /// Torch names → MindSpore names for `checkpoint` (tensors in source order; bytes untouched, Conv1d weights
    /// only reshaped). `kinds` overrides the kind of named modules. `num_batches_tracked` is dropped.
    public static func toMindSpore(_ checkpoint: Checkpoint, kinds: [String: GenericLayerKind] = [:],
                                   file: String? = nil) throws -> (Checkpoint, [AppliedRule]) {
        let modules = group(checkpoint.tensors)
        var kindOf: [String: GenericLayerKind] = [:]
        var ambiguous: [String] = []
        for (module, leaves) in modules {
            if let k = kinds[module] { kindOf[module] = k; continue }
            let w = leaves["weight"], b = leaves["bias"]
            if leaves["running_mean"] != nil || leaves["running_var"] != nil {
                kindOf[module] = .batchnorm
            } else if let w {
                switch (w.shape.count, b?.shape.count) {
                case (3, _): kindOf[module] = .conv1d
                case (1, 1): kindOf[module] = .norm
                case (1, nil):
                    ambiguous.append("'\(module).weight' \(w.shape) may be a PReLU (→ w) or a norm without bias (→ gamma): "
                                     + "pass --layer \(module)=prelu or --layer \(module)=norm")
                case (2, nil):
                    ambiguous.append("'\(module).weight' \(w.shape) may be an Embedding (→ embedding_table) or a Linear "
                                     + "without bias (unchanged): pass --layer \(module)=embedding or --layer \(module)=keep")
                default: kindOf[module] = .keep
                }
            }
        }
        try refuse(ambiguous, file: file)
        let rename: [GenericLayerKind: [String: String]] = [
            .batchnorm: ["weight": "gamma", "bias": "beta", "running_mean": "moving_mean", "running_var": "moving_variance"],
            .norm: ["weight": "gamma", "bias": "beta"], .embedding: ["weight": "embedding_table"], .prelu: ["weight": "w"],
        ]
        var out = checkpoint
        out.tensors = []
        for var t in checkpoint.tensors {
            let (module, leaf) = split(t.name)
            let kind = module.flatMap { kindOf[$0] } ?? .keep
            if kind == .batchnorm && leaf == "num_batches_tracked" { continue }
            if let module, let new = rename[kind]?[leaf] { t.name = "\(module).\(new)" }
            if kind == .conv1d && leaf == "weight" {
                guard t.shape.count == 3 else {
                    throw CNZooError(.mapping, "--layer \(module ?? "")=conv1d: the weight is \(t.shape), not [out, in, k]",
                                     file: file, tensor: t.name)
                }
                t.shape = [t.shape[0], t.shape[1], 1, t.shape[2]]
            }
            out.tensors.append(t)
        }
        try requireUnique(out, file: file)
        return (out, applied(kindOf, direction: .toMindSpore))
    }

    /// MindSpore names → torch names (the inverse of `toMindSpore`): BatchNorm gets a `num_batches_tracked` int64
    /// scalar 0 after its running variance, Conv1d weights lose their unit axis.
    public static func toTorch(_ checkpoint: Checkpoint, kinds: [String: GenericLayerKind] = [:],
                               file: String? = nil) throws -> (Checkpoint, [AppliedRule]) {
        let modules = group(checkpoint.tensors)
        var kindOf: [String: GenericLayerKind] = [:]
        var ambiguous: [String] = []
        for (module, leaves) in modules {
            if let k = kinds[module] { kindOf[module] = k; continue }
            if leaves["moving_mean"] != nil || leaves["moving_variance"] != nil {
                kindOf[module] = .batchnorm
            } else if leaves["gamma"] != nil || leaves["beta"] != nil {
                kindOf[module] = .norm
            } else if leaves["embedding_table"] != nil {
                kindOf[module] = .embedding
            } else if leaves["w"] != nil && leaves.count == 1 {
                kindOf[module] = .prelu
            } else if let w = leaves["weight"], w.shape.count == 4, w.shape[2] == 1, w.shape[3] > 1 {
                ambiguous.append("'\(module).weight' \(w.shape) may be a Conv1d (→ [\(w.shape[0]), \(w.shape[1]), "
                                 + "\(w.shape[3])]) or a 1×\(w.shape[3]) Conv2d (unchanged): pass --layer \(module)=conv1d "
                                 + "or --layer \(module)=keep")
            }
        }
        try refuse(ambiguous, file: file)
        let rename: [GenericLayerKind: [String: String]] = [
            .batchnorm: ["gamma": "weight", "beta": "bias", "moving_mean": "running_mean", "moving_variance": "running_var"],
            .norm: ["gamma": "weight", "beta": "bias"], .embedding: ["embedding_table": "weight"], .prelu: ["w": "weight"],
        ]
        var out = checkpoint
        out.tensors = []
        var remaining: [String: Int] = [:]  // BatchNorm module → tensors still to come (counter goes after the last)
        for (m, k) in kindOf where k == .batchnorm { remaining[m] = modules[m]?.count ?? 0 }
        for var t in checkpoint.tensors {
            let (module, leaf) = split(t.name)
            let kind = module.flatMap { kindOf[$0] } ?? .keep
            if let module, let new = rename[kind]?[leaf] { t.name = "\(module).\(new)" }
            if kind == .conv1d && leaf == "weight" {
                guard t.shape.count == 4, t.shape[2] == 1 else {
                    throw CNZooError(.mapping, "--layer \(module ?? "")=conv1d: the weight is \(t.shape), not [out, in, 1, k]",
                                     file: file, tensor: t.name)
                }
                t.shape = [t.shape[0], t.shape[1], t.shape[3]]
            }
            out.tensors.append(t)
            if kind == .batchnorm, let module {
                remaining[module, default: 1] -= 1
                if remaining[module] == 0 {
                    out.tensors.append(TensorEntry(name: "\(module).num_batches_tracked", dtype: .i64, shape: [],
                                                   data: .bytes([UInt8](repeating: 0, count: 8))))
                }
            }
        }
        try requireUnique(out, file: file)
        return (out, applied(kindOf, direction: .toTorch))
    }

    enum Direction { case toMindSpore, toTorch }

    /// Each kind's rule in words: the layer, its torch names, its MindSpore names.
    static let words: [GenericLayerKind: (layer: String, torch: String, ms: String)] = [
        .batchnorm: ("BatchNorm", "weight/bias/running_mean/running_var", "gamma/beta/moving_mean/moving_variance"),
        .norm: ("LayerNorm/GroupNorm", "weight/bias", "gamma/beta"),
        .embedding: ("Embedding", "weight", "embedding_table"),
        .prelu: ("PReLU", "weight", "w"),
        .conv1d: ("Conv1d weight", "[out, in, k]", "[out, in, 1, k]"),
    ]

    static func describe(_ kind: GenericLayerKind, _ direction: Direction) -> String? {
        guard let w = words[kind] else { return nil }
        switch direction {
        case .toMindSpore: return "\(w.layer) \(w.torch) → \(w.ms)" + (kind == .batchnorm ? " (num_batches_tracked dropped)" : "")
        case .toTorch: return "\(w.layer) \(w.ms) → \(w.torch)" + (kind == .batchnorm ? " (+ num_batches_tracked = 0)" : "")
        }
    }

    static func applied(_ kindOf: [String: GenericLayerKind], direction: Direction) -> [AppliedRule] {
        GenericLayerKind.allCases.compactMap { kind in
            let modules = kindOf.filter { $0.value == kind }.keys.sorted()
            guard !modules.isEmpty, let rule = describe(kind, direction) else { return nil }
            return AppliedRule(rule: rule, count: modules.count, examples: Array(modules.prefix(5)))
        }
    }

    /// Module → leaf → tensor (only names with a module part).
    static func group(_ tensors: [TensorEntry]) -> [String: [String: TensorEntry]] {
        var out: [String: [String: TensorEntry]] = [:]
        for t in tensors {
            let (module, leaf) = split(t.name)
            if let module { out[module, default: [:]][leaf] = t }
        }
        return out
    }

    static func split(_ name: String) -> (module: String?, leaf: String) {
        guard let dot = name.lastIndex(of: ".") else { return (nil, name) }
        return (String(name[..<dot]), String(name[name.index(after: dot)...]))
    }

    static func refuse(_ ambiguous: [String], file: String?) throws {
        guard !ambiguous.isEmpty else { return }
        let shown = ambiguous.sorted().prefix(5).joined(separator: "; ")
        throw CNZooError(.mapping, "\(ambiguous.count) module(s) could be either of two layers, and cnzoo does not "
                         + "guess: \(shown)\(ambiguous.count > 5 ? "; …" : "")", file: file)
    }

    static func requireUnique(_ c: Checkpoint, file: String?) throws {
        var seen = Set<String>()
        for t in c.tensors where !seen.insert(t.name).inserted {
            throw CNZooError(.mapping, "renaming makes two tensors named '\(t.name)'; pass --convention keep to keep "
                             + "the names as they are", file: file, tensor: t.name)
        }
    }
}
