import CNZooCore
import Foundation

/// Class-name lists kept beside the manifests (`<zoo dir>/labels/<dataset>.json`: `{"dataset", "source", "labels"}`),
/// built in like them. Index i names class i.
public enum ZooLabels {
    /// The ImageNet-1k list's dataset name.
    public static let imageNet1k = "imagenet-1k"

    /// The class names of `dataset` in the zoo directory `directory` (``ZooRegistry/locateDirectory(override:environment:)``
    /// gives it; the built-in one by default). Refused unless the file names every class once.
    public static func load(_ dataset: String, directory: String) throws -> [String] {
        let path = ((directory as NSString).appendingPathComponent("labels") as NSString)
            .appendingPathComponent(dataset + ".json")
        let data = try ZooRegistry.readFile(path, what: "'\(dataset)' class-name list")
        struct File: Decodable { let dataset: String; let labels: [String] }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw CNZooError(.malformed, "not a class-name list ({\"dataset\", \"labels\": [...]})", file: path,
                             cause: error)
        }
        guard file.dataset == dataset else {
            throw CNZooError(.malformed, "the list is for '\(file.dataset)', not '\(dataset)'", file: path)
        }
        guard !file.labels.isEmpty, Set(file.labels).count == file.labels.count else {
            throw CNZooError(.malformed, "class names must be present and distinct", file: path)
        }
        return file.labels
    }
}
