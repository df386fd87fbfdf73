import CNZooCore

extension CheckpointFormat {
    /// A Hugging Face model folder (`config.json` + `model.safetensors` / `pytorch_model.bin`, or shards + index).
    public static let huggingface = CheckpointFormat(rawValue: "huggingface")
}

extension DetectedFormat {
    /// A model folder whose weights are safetensors (one file or shards).
    public static let huggingfaceSafeTensors = DetectedFormat("huggingface-safetensors", of: .huggingface)
    /// A model folder whose weights are `pytorch_model.bin` (one file or shards).
    public static let huggingfacePyTorch = DetectedFormat("huggingface-pytorch", of: .huggingface)
}

/// Hugging Face model folders (transformers `save_pretrained`, timm `save_for_hf`) as a `FormatPlugin`: claims a
/// folder holding a weight source or a `config.json`, reads it through `HuggingFaceFolder`. Writing a folder needs a
/// `config.json` made from the architecture, so it is `HuggingFaceFolder.write`, called by the converter for the
/// `transformers` convention, not this plug-in's `write`.
public struct HuggingFacePlugin: FormatPlugin {
    /// How the folder reads and writes its weight files.
    public let files: HuggingFaceFolder.Files

    public init(files: HuggingFaceFolder.Files) { self.files = files }
    public var format: CheckpointFormat { .huggingface }
    public var summary: String { "Hugging Face model folder: config.json + model.safetensors / pytorch_model.bin (sharded or not)" }
    public var fileExtension: String { "" }
    public var canRead: Bool { true }
    public var canWrite: Bool { false }

    /// A folder with a weight source or a `config.json` (files only: nothing is read).
    public func detect(_ probe: FormatProbe) -> FormatMatch? {
        guard probe.isDirectory, HuggingFaceFolder.looksLikeModelFolder(probe.path) else { return nil }
        let pytorch = HuggingFaceFolder.weightSources(in: probe.path).first?.hasPrefix("pytorch_model") ?? false
        return FormatMatch(pytorch ? .huggingfacePyTorch : .huggingfaceSafeTensors, .specific)
    }

    public func read(_ input: FormatInput, options: ReadOptions) throws -> Checkpoint {
        guard case let .folder(path) = input else {
            throw CNZooError(.unknownFormat, "a Hugging Face model is a folder, not a single file", file: input.path)
        }
        return try HuggingFaceFolder.open(path).read(files: files)
    }
}
