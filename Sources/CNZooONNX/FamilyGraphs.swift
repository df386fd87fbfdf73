import CNZooCore
import CNZooMapping

/// The ConvNeXt graph, in the op order of cnzoo's own forward pass (`ConvNeXtModel`) and torchvision's module:
/// patchify conv → LayerNorm; per stage LayerNorm + 2×2 stride-2 conv (stages 1…3), then blocks of
/// 7×7 depthwise conv → (NHWC) LayerNorm → Linear C→4C → GELU → Linear 4C→C → layer scale → (NCHW) residual add;
/// global average pool → LayerNorm (the head eps) → Linear.
enum ConvNeXtGraph {
    static func build(_ spec: ConvNeXtSpec, _ b: inout GraphBuilder, batch: ONNXGraph.Dimension) throws {
        guard !spec.isHeadless else {
            throw CNZooError(.unsupported, "no ONNX graph for a headless ConvNeXt (\(spec.summary)): the ConvNeXt graph "
                             + "ends in its classifier; convert the weights to another format instead")
        }
        let eps = b.numerics.layerNormEps
        b.declareIO(input: "input", inChannels: spec.inChannels, output: "logits", classes: spec.numClasses, batch: batch)
        var x = try b.conv("input", "stem.conv", kernel: spec.patchSize, stride: spec.patchSize)
        x = try b.channelLayerNorm(x, "stem.norm", eps: eps)
        for s in 0..<spec.depths.count {
            if s > 0 {
                x = try b.channelLayerNorm(x, "stages.\(s).downsample.norm", eps: eps)
                x = try b.conv(x, "stages.\(s).downsample.conv", kernel: 2, stride: 2)
            }
            for blk in 0..<spec.depths[s] {
                let pre = "stages.\(s).blocks.\(blk)"
                let scope = "/" + pre
                var y = try b.conv(x, pre + ".dwconv", kernel: spec.kernelSize, pad: spec.kernelSize / 2,
                                   groups: spec.dims[s])
                y = try b.layerNorm(b.toNHWC(y, scope), pre + ".norm", eps: eps)
                y = try b.linear(y, pre + ".pwconv1")
                y = b.gelu(y, scope)
                y = try b.linear(y, pre + ".pwconv2")
                if spec.layerScale {
                    y = b.op("Mul", scope + "/Mul_layer_scale", [y, try b.weight(pre + ".layer_scale")])
                }
                x = b.op("Add", scope + "/Add_residual", [x, b.toNCHW(y, scope)])
            }
        }
        try b.classifier(x, norm: "head.norm", normEps: b.numerics.headNormEps, fc: "head.fc", output: "logits")
    }
}

/// The ConvMixer graph (timm's module order): patch conv → act → BatchNorm; per block
/// residual(depthwise k×k "same" conv → act → BatchNorm) → 1×1 conv → act → BatchNorm; pool → Linear. A headless
/// model (no classes) outputs the pooled `features` instead of `logits`.
enum ConvMixerGraph {
    static func build(_ spec: ConvMixerSpec, _ b: inout GraphBuilder, batch: ONNXGraph.Dimension) throws {
        let headless = spec.numClasses == 0
        b.declareIO(input: "input", inChannels: spec.inChannels, output: headless ? "features" : "logits",
                    classes: headless ? spec.dim : spec.numClasses, batch: batch)
        func batchNorm(_ x: String, _ prefix: String, _ b: inout GraphBuilder) throws -> String {
            b.op("BatchNormalization", "/" + prefix + "/BatchNormalization",
                 [x, try b.weight(prefix + ".weight"), try b.weight(prefix + ".bias"), try b.weight(prefix + ".running_mean"),
                  try b.weight(prefix + ".running_var")],
                 [.float("epsilon", b.numerics.batchNormEps)])
        }
        var x = try b.conv("input", "stem.0", kernel: spec.patchSize, stride: spec.patchSize)
        x = try b.activation(spec.activation, x, "/stem.1")
        x = try batchNorm(x, "stem.2", &b)
        for i in 0..<spec.depth {
            let pre = "blocks.\(i)"
            var y = try b.conv(x, pre + ".0.fn.0", kernel: spec.kernelSize, pad: spec.kernelSize / 2, groups: spec.dim)
            y = try b.activation(spec.activation, y, "/" + pre + ".0.fn.1")
            y = try batchNorm(y, pre + ".0.fn.2", &b)
            x = b.op("Add", "/" + pre + ".0/Add_residual", [y, x])
            x = try b.conv(x, pre + ".1", kernel: 1)
            x = try b.activation(spec.activation, x, "/" + pre + ".2")
            x = try batchNorm(x, pre + ".3", &b)
        }
        try b.classifier(x, norm: nil, normEps: 0, fc: headless ? nil : "head", output: headless ? "features" : "logits")
    }
}
