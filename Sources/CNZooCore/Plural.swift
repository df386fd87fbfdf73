/// Counts in words with the right grammatical number, for messages and reports: `1 tensor`, `2 tensors`,
/// `1 shape mismatch`, `3 shape mismatches`.
public enum Plural {
    /// `n` followed by `singular` when `n` is 1, else by `plural` (default: `singular` + "s").
    public static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) " + (n == 1 ? singular : plural ?? singular + "s")
    }
}
