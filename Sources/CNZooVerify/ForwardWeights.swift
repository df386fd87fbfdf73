import CNZooCore
import CNZooMapping
import CNZooModels

/// Glue between the mapping layer and the forward pass.
public enum ForwardWeights {
    /// The forward-pass numerics of a convention's framework (PyTorch's when it names none for ConvNeXt).
    public static func numerics(_ convention: any NamingConvention) -> Numerics {
        convention.numerics(family: "convnext") ?? .pytorch
    }

    /// Only the ConvNeXt parameters of a canonical checkpoint (drops carried extras), or a mapping error naming a
    /// non-ConvNeXt architecture.
    public static func parameters(_ canonical: Checkpoint, spec: any ArchitectureSpec, file: String) throws -> (Checkpoint, ConvNeXtSpec) {
        guard let convnext = spec as? ConvNeXtSpec else {
            throw CNZooError(.unsupported, "the forward pass runs ConvNeXt only; this checkpoint is \(spec.summary)",
                             file: file)
        }
        let wanted = Set(convnext.parameters().map(\.name))
        var out = canonical
        out.tensors = canonical.tensors.filter { wanted.contains($0.name) }
        return (out, convnext)
    }
}
