/// `Checkpoint.metadata` keys a model-folder reader (Hugging Face / timm Hub folders) fills for the layers above it:
/// the folder's `config.json` as text, where it was, and which weight files were read. Like every `cnzoo.` key they
/// describe the container and are never written into an output file.
public enum HubMetadata {
    /// The text of the folder's `config.json`.
    public static let configKey = "cnzoo.hub_config"
    /// The path of that `config.json` (errors name it).
    public static let configFileKey = "cnzoo.hub_config_file"
    /// The weight file(s) read, as the folder names them (`model.safetensors`, `model.safetensors.index.json`).
    public static let weightsKey = "cnzoo.hub_weights"
}
