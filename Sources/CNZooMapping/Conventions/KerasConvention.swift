import CNZooCore

/// Keras `keras.applications.convnext` (and `keras.src.applications.convnext.ConvNeXt(depths:projection_dims:)`),
/// named by the HDF5 paths of a Keras 3 `.weights.h5`: layers are keyed by snake-case class name plus a per-class
/// counter in `model.layers` order (`layers/conv2d_3/vars/0`), the stem and downsampling `Sequential`s one level
/// deeper (`layers/sequential_2/layers/conv2d/vars/0`); variable `0` is a kernel or LayerNorm gamma, `1` a bias or
/// beta. Kernels are HWIO (`Conv2D` `(kh,kw,I,O)`, depthwise `(kh,kw,1,C)`) and `Dense` kernels `(in,out)`: the slots
/// permute lazily. Layer scale is `[C]`.
///
/// The counters depend on the total depth, so the names alone do not say which stage a block is in: the convention
/// reads the structure itself (`describe(names:shapes:)`) — dims from the stem and downsampling convs, depths by
/// counting the depthwise convs of each width. Legacy Keras 2 `.h5` paths (`<layer>/<layer>/<weight>`, optionally under
/// `model_weights/`) are mapped by structure and position: the layer's place in the network from its name
/// (`<model>_stage_1_block_0_pointwise_conv_2`, the model name found from the `<model>_stem` layer) and each weight by
/// its position in the layer (so LayerScale's `variable_N` name, a process-wide counter, is never read).
public struct KerasConvention: NamingConvention, SelfDescribingConvention {
    public init() {}
    public var name: String { "keras" }
    public var framework: Framework { .keras }
    public var summary: String { "Keras applications (layers/dense_3/vars/0 .weights.h5 paths, HWIO kernels; legacy .h5 by structure)" }

    /// Exact GELU (`Activation("gelu")`) and LayerNorm eps 1e-6.
    public func numerics(family: Family) -> Numerics? { family == "convnext" ? Numerics(gelu: .erf) : nil }

    public func slots(for spec: any ArchitectureSpec) -> [Slot]? {
        guard let c = spec as? ConvNeXtSpec else { return nil }
        return KerasConvNeXtNaming(depths: c.depths).convnextSlots(c)
    }

    /// Keras 3 path of Keras layer group `key` variable `index`.
    static func path(_ key: String, _ index: Int) -> String { "\(key)/vars/\(index)" }

    /// `name` for the first layer of a class, `name_n` after.
    static func counter(_ name: String, _ n: Int) -> String { n == 0 ? "layers/\(name)" : "layers/\(name)_\(n)" }

    public func describe(names: [String], shapes: [[Int]]) -> (spec: any ArchitectureSpec, names: [String])? {
        let keras3 = KerasLegacyNames.keras3Names(names) ?? names
        guard let spec = inferSpec(names: keras3, shapes: shapes) else { return nil }
        return (spec, keras3)
    }

    /// The ConvNeXt spec a set of Keras 3 paths and shapes describes.
    func inferSpec(names: [String], shapes: [[Int]]) -> ConvNeXtSpec? {
        var shape: [String: [Int]] = [:]
        for (n, s) in zip(names, shapes) { shape[n] = s }
        guard let stem = shape["layers/sequential/layers/conv2d/vars/0"], stem.count == 4, stem[0] == stem[1] else {
            return nil
        }
        var dims = [stem[3]]
        for i in 1...3 {
            guard let d = shape["layers/sequential_\(i)/layers/conv2d/vars/0"], d.count == 4 else { return nil }
            dims.append(d[3])
        }
        // Blocks: depthwise convs conv2d, conv2d_1, ... in order, grouped by width.
        var depths = [0, 0, 0, 0]
        var stage = 0
        var g = 0
        var kernel = 0
        while let dw = shape[Self.path(Self.counter("conv2d", g), 0)], dw.count == 4, g <= Limits.maxTensors {
            while stage < 4 && dw[3] != dims[stage] { stage += 1 }
            guard stage < 4, dw[2] == 1 else { return nil }
            if g == 0 { kernel = dw[0] }
            depths[stage] += 1
            g += 1
        }
        guard depths.allSatisfy({ $0 > 0 }) else { return nil }
        // The head Dense, or none: `include_top=False` (Keras' `_notop.h5` files) keeps only the final LayerNorm.
        let classes: Int
        if let head = shape[Self.path(Self.counter("dense", 2 * g), 0)] {
            guard head.count == 2 else { return nil }
            classes = head[1]
        } else {
            guard shape[Self.path(Self.counter("layer_normalization", g), 0)] != nil else { return nil }
            classes = 0
        }
        let layerScale = shape[Self.path(Self.counter("layer_scale", 0), 0)] != nil
        return ConvNeXtSpec(depths: depths, dims: dims, kernelSize: kernel, patchSize: stem[0], layerScale: layerScale,
                            numClasses: classes, inChannels: stem[2])
    }

    /// The Keras layer name of each `vars` group this convention writes for `spec` in a model called `model`
    /// (`convnext_tiny`): what Keras itself records in each group's `name` attribute.
    public func layerNames(for spec: ConvNeXtSpec, model: String) -> [String: String] {
        var out: [String: String] = [:]
        out["layers/sequential/layers/conv2d/vars"] = "\(model)_stem_conv"
        out["layers/sequential/layers/layer_normalization/vars"] = "\(model)_stem_layernorm"
        var g = 0
        for (s, depth) in spec.depths.enumerated() {
            if s > 0 {
                out["layers/sequential_\(s)/layers/layer_normalization/vars"] = "\(model)_downsampling_layernorm_\(s - 1)"
                out["layers/sequential_\(s)/layers/conv2d/vars"] = "\(model)_downsampling_conv_\(s - 1)"
            }
            for b in 0..<depth {
                let pre = "\(model)_stage_\(s)_block_\(b)_"
                out[Self.counter("conv2d", g) + "/vars"] = pre + "depthwise_conv"
                out[Self.counter("layer_normalization", g) + "/vars"] = pre + "layernorm"
                out[Self.counter("dense", 2 * g) + "/vars"] = pre + "pointwise_conv_1"
                out[Self.counter("dense", 2 * g + 1) + "/vars"] = pre + "pointwise_conv_2"
                if spec.layerScale { out[Self.counter("layer_scale", g) + "/vars"] = pre + "layer_scale" }
                g += 1
            }
        }
        if spec.isHeadless {  // include_top=False: Keras leaves the final LayerNorm unnamed
            out[Self.counter("layer_normalization", g) + "/vars"] = "layer_normalization"
        } else {
            out[Self.counter("layer_normalization", g) + "/vars"] = "\(model)_head_layernorm"
            out[Self.counter("dense", 2 * g) + "/vars"] = "\(model)_head_dense"
        }
        return out
    }
}

/// Keras ConvNeXt naming for one depth configuration (the counters need the global block index).
struct KerasConvNeXtNaming: ConvNeXtNaming {
    let depths: [Int]

    func global(_ s: Int, _ b: Int) -> Int { depths.prefix(s).reduce(0, +) + b }

    func convnextName(_ site: ConvNeXtSite, leaf: String) -> (name: String, alternates: [String]) {
        let i = leaf == "bias" ? 1 : 0
        let total = depths.reduce(0, +)
        let key: String
        switch site {
        case .stemConv: key = "layers/sequential/layers/conv2d"
        case .stemNorm: key = "layers/sequential/layers/layer_normalization"
        case let .downNorm(s): key = "layers/sequential_\(s)/layers/layer_normalization"
        case let .downConv(s): key = "layers/sequential_\(s)/layers/conv2d"
        case let .dwconv(s, b): key = KerasConvention.counter("conv2d", global(s, b))
        case let .norm(s, b): key = KerasConvention.counter("layer_normalization", global(s, b))
        case let .pwconv1(s, b): key = KerasConvention.counter("dense", 2 * global(s, b))
        case let .pwconv2(s, b): key = KerasConvention.counter("dense", 2 * global(s, b) + 1)
        case let .layerScale(s, b): key = KerasConvention.counter("layer_scale", global(s, b))
        case .headNorm: key = KerasConvention.counter("layer_normalization", total)
        case .headFC: key = KerasConvention.counter("dense", 2 * total)
        }
        return (KerasConvention.path(key, i), [])
    }

    /// Conv kernels `[O,I,kh,kw]` → `(kh,kw,I,O)`; Dense kernels `[out,in]` → `(in,out)`.
    func convnextLayout(_ site: ConvNeXtSite, canonical: [Int]) -> Slot.Layout {
        switch site {
        case .stemConv, .downConv, .dwconv: return canonical.count == 4 ? .permute([2, 3, 1, 0]) : .reshape
        case .pwconv1, .pwconv2, .headFC: return canonical.count == 2 ? .permute([1, 0]) : .reshape
        default: return .reshape
        }
    }
}

/// Legacy Keras 2 `.h5` paths → Keras 3 `.weights.h5` paths, by structure and position.
enum KerasLegacyNames {
    /// The Keras 3 path of every name, or nil when the names are not a legacy Keras ConvNeXt (no `<model>_stem`
    /// layer). Names that are not recognised stay as they are (the strict mapping then reports them).
    static func keras3Names(_ names: [String]) -> [String]? {
        let paths = names.map { n -> [Substring] in
            let p = n.split(separator: "/", omittingEmptySubsequences: false)
            return p.first == "model_weights" ? Array(p.dropFirst()) : p
        }
        guard let stemLayer = paths.lazy.compactMap({ $0.first }).first(where: { $0.hasSuffix("_stem") }) else {
            return nil
        }
        let model = String(stemLayer.dropLast("_stem".count))
        // Depths: the largest block index per stage.
        var depths = [0, 0, 0, 0]
        var parsed: [(group: String?, layer: Substring)] = []
        for p in paths {
            // include_top=False: the final LayerNorm is Keras' unnamed `layer_normalization[_N]`.
            if p.count >= 3, p[0] == p[1], isUnnamedLayerNorm(p[0]) {
                parsed.append(("head_layernorm", p[0]))
                continue
            }
            guard p.count >= 3, p[0] == p[1], let inner = p.dropLast().last, inner.hasPrefix(model + "_") else {
                parsed.append((nil, ""))
                continue
            }
            let rest = inner.dropFirst(model.count + 1)
            parsed.append((String(rest), inner))
            let f = rest.split(separator: "_")
            if f.count >= 5, f[0] == "stage", f[2] == "block", let s = Int(f[1]), let b = Int(f[3]), (0..<4).contains(s),
               b < Limits.maxTensors {
                depths[s] = max(depths[s], b + 1)
            }
        }
        let total = depths.reduce(0, +)
        func key(_ rest: String) -> String? {
            switch rest {
            case "stem_conv": return "layers/sequential/layers/conv2d"
            case "stem_layernorm": return "layers/sequential/layers/layer_normalization"
            case "head_layernorm": return KerasConvention.counter("layer_normalization", total)
            case "head_dense": return KerasConvention.counter("dense", 2 * total)
            default: break
            }
            let f = rest.split(separator: "_").map(String.init)
            if f.count == 3, f[0] == "downsampling", let i = Int(f[2]), (0..<3).contains(i) {
                if f[1] == "layernorm" { return "layers/sequential_\(i + 1)/layers/layer_normalization" }
                if f[1] == "conv" { return "layers/sequential_\(i + 1)/layers/conv2d" }
            }
            guard f.count >= 5, f[0] == "stage", f[2] == "block", let s = Int(f[1]), let b = Int(f[3]),
                  (0..<4).contains(s), b < depths[s] else { return nil }
            let g = depths.prefix(s).reduce(0, +) + b
            switch f[4...].joined(separator: "_") {
            case "depthwise_conv": return KerasConvention.counter("conv2d", g)
            case "layernorm": return KerasConvention.counter("layer_normalization", g)
            case "pointwise_conv_1": return KerasConvention.counter("dense", 2 * g)
            case "pointwise_conv_2": return KerasConvention.counter("dense", 2 * g + 1)
            case "layer_scale": return KerasConvention.counter("layer_scale", g)
            default: return nil
            }
        }
        // Position within each layer, in file order (the reader keeps `weight_names` order).
        var position: [Substring: Int] = [:]
        var out = names
        for (i, p) in parsed.enumerated() {
            guard let rest = p.group, let k = key(rest) else { continue }
            let n = position[p.layer, default: 0]
            position[p.layer] = n + 1
            out[i] = KerasConvention.path(k, n)
        }
        return out
    }

    /// `layer_normalization` or `layer_normalization_N`: a LayerNorm Keras named itself (no name given).
    static func isUnnamedLayerNorm(_ layer: Substring) -> Bool {
        let base = "layer_normalization"
        guard layer.hasPrefix(base) else { return false }
        let rest = layer.dropFirst(base.count)
        return rest.isEmpty || (rest.first == "_" && rest.count > 1 && rest.dropFirst().allSatisfy(\.isNumber))
    }
}
