/// Counts in words with the right grammatical number, for messages and reports: `1 tensor`, `2 tensors`,
/// `1 shape mismatch`, `3 shape mismatches`.
public enum Plural {
    /// `n` followed by `singular` when `n` is 1, else by `plural` (default: `singular` + "s").
    public static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) " + (n == 1 ? singular : plural ?? singular + "s")
    }
}

/// The indefinite article for a word in messages: `an argparse.Namespace`, `a dict`.
public enum Article {
    /// `word` preceded by "an" when it starts with a vowel letter, else by "a".
    public static func a(_ word: String) -> String {
        guard let first = word.lowercased().first else { return word }
        return ("aeiou".contains(first) ? "an " : "a ") + word
    }
}
