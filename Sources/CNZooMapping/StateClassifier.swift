/// Sorts tensors that are not model weights by name: optimizer state (MindSpore `moments.*`, `adam_m.*`, ...;
/// torch-style `exp_avg`) and training bookkeeping (`global_step`, `learning_rate`, BatchNorm
/// `num_batches_tracked`, loss scale, ...). The mapper drops these by default with a note.
public enum StateClassifier {
    /// What a non-weight tensor is.
    public enum Kind: String, Sendable, Codable {
        case optimizer
        case bookkeeping
        /// The exponential-moving-average copy of the weights saved next to them (MindCV `ema.<param>`).
        case ema
    }

    /// Name prefixes MindSpore optimizers give their per-parameter state (`moments.<param>`, `adam_m.<param>`).
    static let optimizerPrefixes = ["moments.", "adam_m.", "adam_v.", "moment1.", "moment2.", "moment3.",
                                    "accum.", "mean_grad.", "mean_square.", "linear.", "exp_avg.", "exp_avg_sq.",
                                    "optimizer.", "vhat."]
    /// Whole names (or last components) of scalar optimizer state.
    static let optimizerNames: Set<String> = ["beta1_power", "beta2_power", "exp_avg", "exp_avg_sq", "momentum_buffer"]
    /// Whole names (or last components) of training bookkeeping.
    static let bookkeepingNames: Set<String> = [
        "global_step", "learning_rate", "epoch_num", "step_num", "scale_sense", "current_iterator_step",
        "last_overflow_iterator_step", "loss_scale", "num_batches_tracked", "n_averaged", "epoch", "step",
        "cur_step_num", "cur_epoch_num", "lr",
    ]

    /// The kind of an unmapped tensor, or nil when it looks like a model tensor: by name, plus two structural rules:
    /// a 0-d tensor is a training value (ConvNeXt and ConvMixer have no scalar parameters; MindSpore `append_dict`
    /// entries land as scalars), and `ema.<name>` is an EMA copy when `<name>` is an expected tensor.
    public static func classify(_ name: String, shape: [Int], isSlotName: (String) -> Bool) -> Kind? {
        if let k = classify(name) { return k }
        if name.hasPrefix("ema."), isSlotName(String(name.dropFirst(4))) { return .ema }
        if shape.isEmpty { return .bookkeeping }
        return nil
    }

    /// The kind of `name` judged from the name alone, or nil when it looks like a model tensor.
    public static func classify(_ name: String) -> Kind? {
        if optimizerPrefixes.contains(where: { name.hasPrefix($0) }) { return .optimizer }
        let last = name.split(separator: ".").last.map(String.init) ?? name
        if optimizerNames.contains(name) || optimizerNames.contains(last) { return .optimizer }
        if bookkeepingNames.contains(name) || bookkeepingNames.contains(last) { return .bookkeeping }
        return nil
    }
}
