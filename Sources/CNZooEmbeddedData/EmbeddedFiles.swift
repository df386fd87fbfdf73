/// Data files built into the binary: the zoo manifests and the reference logits `cnzoo verify --variant` compares
/// with, so a `cnzoo` copied anywhere works without the checkout.
///
/// The bytes are generated before every build from the package's `Zoo/` and `Fixtures/` by the EmbedDataPlugin
/// build-tool plugin, by rule rather than by list: every `Zoo/*.json`, `Zoo/labels/*.json` and every `Fixtures/**/*_logits_*.npy`
/// (Plugins/EmbedDataPlugin/embed-data.sh). A file is named by its path relative to the package root, and addressed
/// from the rest of cnzoo under the pseudo-directory ``root`` (`<built-in>/Zoo/convnext.json`), so code that takes a
/// directory (`--manifest-dir`, `--references`) takes the built-in data the same way.
public enum EmbeddedFiles {
    /// The pseudo-directory that prefixes embedded paths: `<built-in>`. Not a real directory; a file-system path that
    /// starts with it is taken as embedded.
    public static let root = "<built-in>"

    /// Relative paths of every embedded file, sorted (`Zoo/convnext.json`, `Fixtures/forward/tiny_logits_mindcv.npy`).
    public static var relativePaths: [String] { table.map(\.path) }

    /// The embedded path of `relativePath`: `<built-in>/` + `relativePath`.
    public static func path(_ relativePath: String) -> String { root + "/" + relativePath }

    /// True when `path` names the embedded pseudo-directory or something under it.
    public static func isEmbedded(_ path: String) -> Bool { relative(path) != nil }

    /// The bytes of the embedded file at `path` (`<built-in>/Zoo/convnext.json`); nil when `path` is not embedded or
    /// no such file was embedded.
    public static func contents(atPath path: String) -> [UInt8]? {
        guard let rel = relative(path), let entry = table.first(where: { $0.path == rel }) else { return nil }
        return decodeBase64(entry.base64)
    }

    /// The names of the embedded files directly inside the embedded directory `path` (`<built-in>/Zoo` →
    /// `["convmixer.json", "convnext.json", "schema.json"]`), sorted; nil when `path` is not embedded or holds nothing.
    public static func fileNames(inDirectory path: String) -> [String]? {
        guard var rel = relative(path) else { return nil }
        while rel.hasSuffix("/") { rel.removeLast() }
        let prefix = rel.isEmpty ? "" : rel + "/"
        let names = table.compactMap { entry -> String? in
            guard entry.path.hasPrefix(prefix) else { return nil }
            let rest = entry.path.dropFirst(prefix.count)
            return rest.contains("/") ? nil : String(rest)
        }
        return names.isEmpty ? nil : names
    }

    /// The part of `path` after `<built-in>/` (empty for `<built-in>` itself); nil for any other path.
    static func relative(_ path: String) -> String? {
        if path == root { return "" }
        guard path.hasPrefix(root + "/") else { return nil }
        var rel = Substring(path.dropFirst(root.count + 1))
        while rel.hasPrefix("./") { rel = rel.dropFirst(2) }
        return String(rel)
    }

    /// Decodes the generator's base64 (standard alphabet, `=` padding; well-formed by construction).
    static func decodeBase64(_ text: StaticString) -> [UInt8] {
        var sextets: [UInt8] = Array(repeating: 0xFF, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            sextets[Int(c)] = UInt8(i)
        }
        let input = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3)
        var accumulator: UInt32 = 0, bits = 0
        for c in input {
            let v = sextets[Int(c)]
            if v == 0xFF { continue }   // '=' padding
            accumulator = accumulator << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return out
    }
}
