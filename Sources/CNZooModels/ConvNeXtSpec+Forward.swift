import CNZooCore
import CNZooMapping

/// What the forward pass adds to `ConvNeXtSpec`: reading the spec off a canonical checkpoint, and refusing specs
/// it cannot run.
extension ConvNeXtSpec {
    /// Infers the spec from canonical tensor names and shapes (through `ConvNeXtFamily.infer`, the one place specs
    /// are read off names and shapes) and checks that the forward pass can run it.
    public init(inferringFrom checkpoint: Checkpoint) throws {
        var shapes: [String: [Int]] = [:]
        for t in checkpoint.tensors { shapes[t.name] = t.shape }
        guard let spec = ConvNeXtFamily().infer(shapes) as? ConvNeXtSpec else {
            throw CNZooError(.mapping, "not a canonical ConvNeXt checkpoint: the forward pass needs stem.conv.weight "
                             + "[C0, in, p, p], stages.S.blocks.B.dwconv.weight [C, 1, k, k] and head.fc.weight [classes, C]")
        }
        self = spec
        try validate()
    }

    /// Refuses configurations the forward pass cannot run (empty layers, absurd depth).
    public func validate() throws {
        guard (1...8).contains(depths.count), depths.count == dims.count else {
            throw CNZooError(.unsupported, "a ConvNeXt with \(depths.count) stages (the forward pass runs 1 to 8)")
        }
        guard dims.allSatisfy({ $0 >= 1 }), depths.allSatisfy({ $0 >= 1 }), numClasses >= 1, inChannels >= 1,
              patchSize >= 1, kernelSize >= 1, kernelSize % 2 == 1 else {
            throw CNZooError(.mapping, "empty or invalid layer sizes: depths \(depths) dims \(dims), \(numClasses) classes, "
                             + "\(inChannels) input channels, patch \(patchSize), kernel \(kernelSize)")
        }
    }

}
