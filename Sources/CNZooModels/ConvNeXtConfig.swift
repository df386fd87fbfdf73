import CNZooCore

/// The shape of a ConvNeXt as the forward pass needs it, read off canonical tensor names and shapes
/// (the names documented on `ConvNeXtSpec` in CNZooMapping).
public struct ConvNeXtConfig: Sendable, Equatable, Codable {
    public var depths: [Int]
    public var dims: [Int]
    public var kernelSize: Int
    public var patchSize: Int
    public var inChannels: Int
    public var numClasses: Int
    public var layerScale: Bool

    public init(depths: [Int], dims: [Int], kernelSize: Int = 7, patchSize: Int = 4, inChannels: Int = 3,
                numClasses: Int = 1000, layerScale: Bool = true) {
        self.depths = depths
        self.dims = dims
        self.kernelSize = kernelSize
        self.patchSize = patchSize
        self.inChannels = inChannels
        self.numClasses = numClasses
        self.layerScale = layerScale
    }

    /// The factor input height and width must be divisible by (patch × 2 per downsampling).
    public var inputStride: Int { patchSize << max(0, depths.count - 1) }

    /// Infers the configuration from canonical tensor names and shapes.
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
        self.init(depths: depths, dims: dims, kernelSize: kernel, patchSize: stem.shape[2], inChannels: stem.shape[1],
                  numClasses: fc.shape[0], layerScale: byName["stages.0.blocks.0.layer_scale"] != nil)
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

    /// Every canonical tensor name with its expected shape, in torchvision's order.
    public var expectedTensors: [(name: String, shape: [Int])] {
        var p: [(String, [Int])] = []
        let c0 = dims[0]
        p.append(("stem.conv.weight", [c0, inChannels, patchSize, patchSize]))
        p.append(("stem.conv.bias", [c0]))
        p.append(("stem.norm.weight", [c0]))
        p.append(("stem.norm.bias", [c0]))
        for s in 0..<depths.count {
            let c = dims[s]
            if s > 0 {
                let prev = dims[s - 1]
                p.append(("stages.\(s).downsample.norm.weight", [prev]))
                p.append(("stages.\(s).downsample.norm.bias", [prev]))
                p.append(("stages.\(s).downsample.conv.weight", [c, prev, 2, 2]))
                p.append(("stages.\(s).downsample.conv.bias", [c]))
            }
            for b in 0..<depths[s] {
                let pre = "stages.\(s).blocks.\(b)."
                if layerScale { p.append((pre + "layer_scale", [c])) }
                p.append((pre + "dwconv.weight", [c, 1, kernelSize, kernelSize]))
                p.append((pre + "dwconv.bias", [c]))
                p.append((pre + "norm.weight", [c]))
                p.append((pre + "norm.bias", [c]))
                p.append((pre + "pwconv1.weight", [4 * c, c]))
                p.append((pre + "pwconv1.bias", [4 * c]))
                p.append((pre + "pwconv2.weight", [c, 4 * c]))
                p.append((pre + "pwconv2.bias", [c]))
            }
        }
        let last = dims[dims.count - 1]
        p.append(("head.norm.weight", [last]))
        p.append(("head.norm.bias", [last]))
        p.append(("head.fc.weight", [numClasses, last]))
        p.append(("head.fc.bias", [numClasses]))
        return p
    }

    /// Multiply-accumulates of the convolutions and linear layers for one `h×w` image.
    public func macs(height: Int, width: Int) -> Int {
        var hw = (height / patchSize) * (width / patchSize)
        var total = hw * dims[0] * inChannels * patchSize * patchSize
        for s in 0..<depths.count {
            let c = dims[s]
            if s > 0 {
                hw /= 4
                total += hw * c * dims[s - 1] * 4
            }
            total += depths[s] * (hw * c * kernelSize * kernelSize + 2 * hw * c * 4 * c)
        }
        return total + dims[dims.count - 1] * numClasses
    }
}
