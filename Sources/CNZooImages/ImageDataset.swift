import CNZooCore
import Foundation

/// A list of labelled images: an ImageNet-style folder tree or a `path label` list file.
public struct ImageDataset: Sendable {
    /// One image and its class index.
    public struct Item: Sendable, Equatable {
        public var path: String
        public var label: Int
    }

    public var items: [Item]
    /// How labels were assigned, for the report.
    public var labelling: String

    /// File extensions listed from folders (case-insensitive). Decoding picks JPEG or PNG by content.
    public static let extensions: Set<String> = ["jpg", "jpeg", "png"]

    public init(items: [Item], labelling: String) {
        self.items = items
        self.labelling = labelling
    }

    /// `DIR/<class>/<image>`: if every class folder name is a non-negative integer it is the class index; otherwise
    /// the class index is the position of the folder name in sorted order (torchvision's `ImageFolder` rule, which
    /// matches the ImageNet-1k class order when the folders are the 1000 WordNet ids). Files directly in `DIR`, hidden
    /// entries and other extensions are ignored.
    public static func folders(_ directory: String) throws -> ImageDataset {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw CNZooError(.unreadable, "not a directory", file: directory)
        }
        let classes: [String]
        do {
            classes = try fm.contentsOfDirectory(atPath: directory).filter { name in
                var d: ObjCBool = false
                return !name.hasPrefix(".") && fm.fileExists(atPath: directory + "/" + name, isDirectory: &d) && d.boolValue
            }.sorted()
        } catch {
            throw CNZooError(.unreadable, "cannot list directory", file: directory, cause: error)
        }
        guard !classes.isEmpty else {
            throw CNZooError(.notFound, "no class folders (expected DIR/<class>/<image>.jpg|png)", file: directory)
        }
        let numeric = classes.allSatisfy { $0.count <= 9 && $0.allSatisfy(\.isASCII) && (Int($0) ?? -1) >= 0 }
        var items: [Item] = []
        for (index, name) in classes.enumerated() {
            let folder = directory + "/" + name
            let files: [String]
            do { files = try fm.contentsOfDirectory(atPath: folder) } catch {
                throw CNZooError(.unreadable, "cannot list directory", file: folder, cause: error)
            }
            let label = numeric ? (Int(name) ?? index) : index
            for f in files.sorted() where !f.hasPrefix(".") && extensions.contains((f as NSString).pathExtension.lowercased()) {
                items.append(Item(path: folder + "/" + f, label: label))
            }
        }
        guard !items.isEmpty else {
            throw CNZooError(.notFound, "no .jpg/.jpeg/.png images under \(classes.count) class folders", file: directory)
        }
        return ImageDataset(items: items, labelling: numeric ? "folder names are class indices"
                                                          : "\(classes.count) class folders, sorted names → index")
    }

    /// A text file of `path label` lines (label: a class index); blank lines and `#` comments are skipped. Relative
    /// paths are resolved against `root` (default: the list file's directory). The path may contain spaces: the
    /// label is the last whitespace-separated field.
    public static func listFile(_ file: String, root: String? = nil) throws -> ImageDataset {
        let bytes: [UInt8]
        do { bytes = try MappedFile(path: file).copyBytes() } catch { throw CNZooError.wrap(error, file: file) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CNZooError(.malformed, "list file is not UTF-8 text", file: file)
        }
        let base = root ?? (file as NSString).deletingLastPathComponent
        var items: [Item] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let space = line.lastIndex(where: { $0 == " " || $0 == "\t" }),
                  let label = Int(line[line.index(after: space)...]), label >= 0 else {
                throw CNZooError(.malformed, "line \(n + 1): expected `path label` (label a class index ≥ 0), got '\(line.prefix(80))'",
                                 file: file)
            }
            let path = line[..<space].trimmingCharacters(in: .whitespaces)
            guard !path.isEmpty else {
                throw CNZooError(.malformed, "line \(n + 1): empty path", file: file)
            }
            items.append(Item(path: path.hasPrefix("/") || base.isEmpty ? path : base + "/" + path, label: label))
        }
        guard !items.isEmpty else {
            throw CNZooError(.notFound, "list file names no images", file: file)
        }
        return ImageDataset(items: items, labelling: "list file labels")
    }
}
