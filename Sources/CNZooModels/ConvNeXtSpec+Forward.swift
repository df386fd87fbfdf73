import CNZooCore
import CNZooMapping

/// What the forward pass adds to `ConvNeXtSpec`: reading the spec off a canonical checkpoint, and refusing specs
/// it cannot run.
extension ConvNeXtSpec {
    /// Infers the spec from canonical tensor names and shapes (what the forward pass is given).
    public init(inferringFrom checkpoint: Checkpoint) throws {
        var byName: [String: TensorEntry] = [:]
        for t in checkpoint.tensors { byName[t.name] = t }
        func need(_ name: String) throws -> TensorEntry {
            guard let t = byName[name] else {
                throw CNZooError(.mapping, "missing tensor '\(name)' (the forward pass reads canonical ConvNeXt names)",
                                 tensor: name)
            }
            return t
        }
        let stem = try need("stem.conv.weight")
        guard stem.shape.count == 4, stem.shape[2] == stem.shape[3], stem.shape[2] > 0 else {
            throw CNZooError(.mapping, "expected shape [C0, in, p, p], found \(stem.shape)", tensor: stem.name)
        }
        var depths: [Int] = []
        var dims: [Int] = []
        var kernel = 0
        var s = 0
        while byName["stages.\(s).blocks.0.dwconv.weight"] != nil {
            var b = 0
            while byName["stages.\(s).blocks.\(b).dwconv.weight"] != nil { b += 1 }
            let dw = try need("stages.\(s).blocks.0.dwconv.weight")
            guard dw.shape.count == 4, dw.shape[1] == 1, dw.shape[2] == dw.shape[3], dw.shape[2] % 2 == 1 else {
                throw CNZooError(.mapping, "expected a depthwise weight [C, 1, k, k] with odd k, found \(dw.shape)",
                                 tensor: dw.name)
            }
            if s == 0 { kernel = dw.shape[2] }
            depths.append(b)
            dims.append(dw.shape[0])
            s += 1
        }
        guard !depths.isEmpty else {
            throw CNZooError(.mapping, "no 'stages.0.blocks.0.dwconv.weight': not a canonical ConvNeXt checkpoint")
        }
        let fc = try need("head.fc.weight")
        guard fc.shape.count == 2 else {
            throw CNZooError(.mapping, "expected shape [classes, C], found \(fc.shape)", tensor: fc.name)
        }
        self.init(depths: depths, dims: dims, kernelSize: kernel, patchSize: stem.shape[2],
                  layerScale: byName["stages.0.blocks.0.layer_scale"] != nil, numClasses: fc.shape[0],
                  inChannels: stem.shape[1])
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
