/// What a tensor in a checkpoint is for, judged from its name alone.
///
/// Training checkpoints (MindSpore saves the whole `TrainOneStepCell`; PyTorch trainers save optimizer dicts) mix the
/// model's weights with optimizer moments and counters. Readers keep every tensor; this classification lets later
/// layers (conversion, mapping, `inspect --json`) drop or report the non-weights on request.
public enum TensorRole: String, Sendable, Codable, CaseIterable {
    /// A model weight or buffer.
    case weight
    /// A weight of the exponential-moving-average copy of the model (MindCV `TrainStep(ema=True)` saves
    /// `ema.<param>` next to every parameter). These are real model weights — of the EMA model, which is usually the
    /// one to deploy — not optimizer state; MindCV's `load_model_checkpoint(ema=True)` strips the `ema.` prefix.
    case ema
    /// Optimizer state: moments, accumulators, beta powers.
    case optimizerState = "optimizer-state"
    /// Training bookkeeping: step and epoch counters, learning rate, loss scale, RNG state.
    case bookkeeping

    /// Name prefixes (first dotted component plus the dot) of optimizer state: `nn.Momentum` (`moments.`), `nn.Adam`
    /// (`moment1.`, `moment2.`), `nn.AdamWeightDecay` / MindCV AdamW (`adam_m.`, `adam_v.`), Adagrad-style (`accum.`).
    static let optimizerPrefixes = ["moments.", "moment1.", "moment2.", "adam_m.", "adam_v.", "accum."]
    /// Whole names of optimizer state scalars.
    static let optimizerNames: Set<String> = ["beta1_power", "beta2_power"]
    /// Whole names of training bookkeeping entries (optimizer step / LR, loss-scale cells, `append_info`, RNG state).
    static let bookkeepingNames: Set<String> = [
        "global_step", "learning_rate", "epoch_num", "step_num", "scale_sense", "current_iterator_step",
        "last_overflow_iterator_step", "updates", "random_op",
    ]

    /// Last name components of non-learnable model buffers: BatchNorm running statistics and counters as PyTorch
    /// (`running_mean`, `running_var`, `num_batches_tracked`) and MindSpore (`moving_mean`, `moving_variance`) name them.
    static let bufferSuffixes: Set<Substring> = [
        "running_mean", "running_var", "num_batches_tracked", "moving_mean", "moving_variance",
    ]

    /// Whether `name` is a model buffer rather than a parameter (a `.weight`-role tensor that is state, not learnt):
    /// judged from the last dotted component.
    public static func isBuffer(_ name: String) -> Bool {
        bufferSuffixes.contains(name.split(separator: ".").last ?? Substring(name))
    }

    /// Classifies a tensor by its name; anything not recognised is a `.weight`.
    public static func classify(_ name: String) -> TensorRole {
        if optimizerNames.contains(name) { return .optimizerState }
        if bookkeepingNames.contains(name) { return .bookkeeping }
        if optimizerPrefixes.contains(where: { name.hasPrefix($0) }) { return .optimizerState }
        if name.hasPrefix("ema.") { return .ema }
        return .weight
    }
}

extension Checkpoint {
    /// The same checkpoint keeping only the tensors whose `TensorRole` is in `roles` (extras and metadata are kept).
    /// A note records how many tensors of each dropped role were removed. Readers keep everything; this is how a
    /// later layer drops optimizer state unless the user asks to keep it.
    public func keepingRoles(_ roles: Set<TensorRole>) -> Checkpoint {
        var out = self
        var dropped: [TensorRole: Int] = [:]
        out.tensors = tensors.filter { t in
            let role = TensorRole.classify(t.name)
            if roles.contains(role) { return true }
            dropped[role, default: 0] += 1
            return false
        }
        let summary = TensorRole.allCases.compactMap { r in dropped[r].map { "\($0) \(r.rawValue)" } }
        let total = dropped.values.reduce(0, +)
        if !summary.isEmpty {
            out.notes.append("dropped " + summary.joined(separator: ", ") + (total == 1 ? " tensor" : " tensors"))
        }
        return out
    }
}
