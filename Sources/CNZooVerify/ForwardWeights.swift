import CNZooCore
import CNZooModels

/// Turns a checkpoint as read into canonical ConvNeXt weights for the forward pass, with the numerics of the
/// convention it came from.
public enum ForwardWeights {
    /// The canonical checkpoint and default numerics. Canonical-named checkpoints are used as they are (PyTorch
    /// numerics unless `convention` says otherwise).
    public static func canonical(_ checkpoint: Checkpoint, convention: String?, file: String) throws -> (Checkpoint, Numerics) {
        let numerics = try numerics(forConvention: convention)
        if checkpoint.tensor(named: "stem.conv.weight") != nil {
            return (checkpoint, numerics)
        }
        throw CNZooError(.mapping, "tensor names are not canonical ConvNeXt names (no 'stem.conv.weight'); "
                         + "this build reads canonical-named checkpoints only", file: file)
    }

    /// Default numerics for a convention name.
    public static func numerics(forConvention convention: String?) throws -> Numerics {
        switch convention?.lowercased() {
        case nil, "canonical", "torchvision", "timm", "official", "facebook": return .pytorch
        case "mindcv": return .mindcv
        case "mindspore-vision", "mindvision", "mv": return .mindsporeVision
        case let other?: throw CNZooError(.usage, "unknown convention '\(other)'")
        }
    }
}
