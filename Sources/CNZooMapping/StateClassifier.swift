import CNZooCore

/// Sorts tensors the mapper could not place: optimizer state, training bookkeeping and EMA copies are left out
/// (with a note) instead of failing a strict conversion. Names are judged by `CNZooCore.TensorRole` (the readers'
/// classification, shown by `inspect`) plus torch-side names it does not cover and two structural rules.
public enum StateClassifier {
    /// What a non-weight tensor is.
    public enum Kind: String, Sendable, Codable {
        case optimizer
        case bookkeeping
        /// The exponential-moving-average copy of the weights saved next to them (MindCV `ema.<param>`).
        case ema
    }

    /// Torch optimizer-state leaves (`state.<i>.exp_avg` in flattened optimizer dicts).
    static let torchOptimizerLeaves: Set<String> = ["exp_avg", "exp_avg_sq", "momentum_buffer", "max_exp_avg_sq"]
    /// Bookkeeping names `TensorRole` does not list: torch BatchNorm counters, SWA counters, MindSpore loss scale
    /// and epoch/step values appended with `append_dict`.
    static let extraBookkeeping: Set<String> = ["num_batches_tracked", "n_averaged", "loss_scale", "epoch", "step",
                                                "cur_step_num", "cur_epoch_num"]

    /// The kind of an unmapped tensor, or nil when it looks like a model tensor: by name, plus two structural rules:
    /// a 0-d tensor is a training value (ConvNeXt and ConvMixer have no scalar parameters; MindSpore `append_dict`
    /// entries land as scalars), and `ema.<name>` is an EMA copy only when `<name>` is an expected tensor.
    public static func classify(_ name: String, shape: [Int], isSlotName: (String) -> Bool) -> Kind? {
        if name.hasPrefix("ema."), isSlotName(String(name.dropFirst(4))) { return .ema }
        if let k = classify(name) { return k }
        if shape.isEmpty { return .bookkeeping }
        return nil
    }

    /// The kind of `name` judged from the name alone, or nil when it looks like a model tensor (an `ema.` name is
    /// nil here: whether it is a copy depends on the architecture).
    public static func classify(_ name: String) -> Kind? {
        switch TensorRole.classify(name) {
        case .optimizerState: return .optimizer
        case .bookkeeping: return .bookkeeping
        case .weight, .ema: break
        }
        let last = name.split(separator: ".").last.map(String.init) ?? name
        if torchOptimizerLeaves.contains(last) { return .optimizer }
        if extraBookkeeping.contains(last) { return .bookkeeping }
        return nil
    }
}
