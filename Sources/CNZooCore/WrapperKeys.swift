/// Which top-level key of a training checkpoint the weights were read from, and which other keys hold weights:
/// recorded by readers in `Checkpoint.metadata` so every command can say it out loud.
public enum WrapperKeys {
    /// Metadata key: the top-level key the weights came from (`state_dict_ema`, `model`, …).
    public static let usedKey = "cnzoo.wrapper_key"
    /// Metadata key: the other top-level keys holding tensors, comma-separated.
    public static let othersKey = "cnzoo.other_weight_keys"

    /// The top-level key the weights came from, if the reader picked one.
    public static func used(_ c: Checkpoint) -> String? { c.metadata[usedKey] }

    /// The other top-level keys that hold weights.
    public static func others(_ c: Checkpoint) -> [String] {
        (c.metadata[othersKey] ?? "").split(separator: ",").map(String.init)
    }

    /// The checkpoint's non-tensor values, without the other weight dicts (those are weights, not values).
    public static func plainExtras(_ c: Checkpoint) -> [CheckpointExtra] {
        let held = Set(others(c))
        return c.extras.filter { !held.contains($0.name) }
    }

    /// `metadata` without cnzoo's own bookkeeping keys (`cnzoo.*`: these, `HubMetadata`'s; what a writer may record).
    public static func strip(_ metadata: [String: String]) -> [String: String] {
        metadata.filter { !$0.key.hasPrefix("cnzoo.") }
    }
}
