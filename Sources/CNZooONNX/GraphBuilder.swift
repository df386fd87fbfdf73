import CNZooCore
import CNZooMapping

/// Builds an `ONNXGraph` node by node: names every value after the node that makes it, adds each weight once as an
/// initializer under the naming convention's name and shape, and provides the blocks both families share (GELU in
/// either form at any opset, LayerNorm over channels of an NCHW tensor, activations, the classifier).
struct GraphBuilder {
    private(set) var graph: ONNXGraph
    let opset: Int
    let numerics: Numerics
    /// Canonical name → tensor (canonical shape).
    private let weights: [String: TensorEntry]
    /// Canonical name → (name, shape) in the file.
    private let fileNames: [String: (name: String, shape: [Int])]
    private var added: [String: String] = [:]
    /// Canonical name → position of the tensor in the source convention's file order.
    private let fileOrder: [String: Int]

    init(name: String, canonical: Checkpoint, spec: any ArchitectureSpec, convention: (any NamingConvention)?,
         numerics: Numerics, opset: Int) throws {
        graph = ONNXGraph(name: name)
        self.opset = opset
        self.numerics = numerics
        var weights: [String: TensorEntry] = [:]
        for t in canonical.tensors { weights[t.name] = t }
        self.weights = weights
        var fileNames: [String: (name: String, shape: [Int])] = [:]
        var order: [String: Int] = [:]
        for (i, t) in canonical.tensors.enumerated() { order[t.name] = i }
        if let convention {
            guard let slots = convention.slots(for: spec) else {
                throw CNZooError(.mapping, "the \(convention.name) convention does not name \(spec.family) models")
            }
            for (i, s) in slots.enumerated() {
                fileNames[s.canonical] = (s.name, s.shape)
                order[s.canonical] = i
            }
        }
        self.fileNames = fileNames
        fileOrder = order
    }

    /// The graph with its initializers in the source file's order (the nodes use them in graph order).
    var finished: ONNXGraph {
        var g = graph
        g.initializers.sort { (fileOrder[$0.tensor.name] ?? .max) < (fileOrder[$1.tensor.name] ?? .max) }
        return g
    }

    /// Adds a node named `name` whose single output is also called `name`; returns that value name.
    @discardableResult
    mutating func op(_ type: String, _ name: String, _ inputs: [String], _ attributes: [ONNXGraph.Attribute] = []) -> String {
        graph.nodes.append(ONNXGraph.Node(opType: type, name: name, inputs: inputs, outputs: [name], attributes: attributes))
        return name
    }

    /// A scalar float32 `Constant`.
    mutating func scalar(_ name: String, _ v: Float) -> String {
        op("Constant", name, [], [.floatTensor("value", [v], shape: [])])
    }

    /// The weight with canonical name `canonical`, as a value of its canonical shape (a `Reshape` follows the
    /// initializer where the convention stores another shape of the same bytes, e.g. torchvision's `[C,1,1]` layer
    /// scale).
    mutating func weight(_ canonical: String) throws -> String {
        if let v = added[canonical] { return v }
        guard let t = weights[canonical] else {
            throw CNZooError(.mapping, "missing tensor for the ONNX graph", tensor: canonical)
        }
        guard t.dtype.isFloatingPoint, t.dtype.byteWidth != nil else {
            throw CNZooError(.unsupported, "ONNX export needs floating-point weights, found \(t.dtype)", tensor: canonical)
        }
        let file = fileNames[canonical] ?? (canonical, t.shape)
        guard Checked.elementCount(file.shape) == Checked.elementCount(t.shape) else {
            throw CNZooError(.mapping, "shape \(t.shape) does not fit \(file.shape)", tensor: canonical)
        }
        graph.initializers.append(ONNXGraph.Initializer(name: file.name, shape: file.shape, tensor: t))
        var value = file.name
        if file.shape != t.shape {
            let shape = op("Constant", "/" + canonical + "/shape", [],
                           [.int64Tensor("value", t.shape.map(Int64.init), shape: [t.shape.count])])
            value = op("Reshape", "/" + canonical + "/Reshape", [file.name, shape])
        }
        added[canonical] = value
        return value
    }

    /// Applies `activation`: `gelu` in the numerics' form, `gelu-tanh` always in the tanh form, or `relu`.
    mutating func activation(_ activation: Activation, _ x: String, _ scope: String) throws -> String {
        switch activation {
        case .gelu: return gelu(x, scope)
        case .geluTanh: return gelu(x, scope, form: .tanh)
        case .relu: return op("Relu", scope + "/Relu", [x])
        default: throw CNZooError(.unsupported, "activation '\(activation)' has no ONNX form in cnzoo")
        }
    }

    /// GELU in `form` (the numerics' when nil): the `Gelu` op (`approximate` none/tanh) from opset 20, the same
    /// arithmetic with `Erf` or `Tanh` below it.
    mutating func gelu(_ x: String, _ scope: String, form: Numerics.GELU? = nil) -> String {
        let tanh = (form ?? numerics.gelu) == .tanh
        if opset >= 20 {
            return op("Gelu", scope + "/Gelu", [x], [.string("approximate", tanh ? "tanh" : "none")])
        }
        let inner: String
        if tanh {
            // √(2/π)·(x + 0.044715·x³)
            let x2 = op("Mul", scope + "/Mul_x2", [x, x])
            let x3 = op("Mul", scope + "/Mul_x3", [x2, x])
            let c = op("Mul", scope + "/Mul_cubic", [x3, scalar(scope + "/c0044715", 0.044715)])
            let s = op("Add", scope + "/Add_cubic", [x, c])
            let arg = op("Mul", scope + "/Mul_sqrt2pi", [s, scalar(scope + "/sqrt_2_over_pi", Float((2 / Double.pi).squareRoot()))])
            inner = op("Tanh", scope + "/Tanh", [arg])
        } else {
            let arg = op("Div", scope + "/Div_sqrt2", [x, scalar(scope + "/sqrt2", Float(2.0.squareRoot()))])
            inner = op("Erf", scope + "/Erf", [arg])
        }
        let onePlus = op("Add", scope + "/Add_one", [inner, scalar(scope + "/one", 1)])
        let xs = op("Mul", scope + "/Mul_x", [x, onePlus])
        return op("Mul", scope + "/Mul_half", [xs, scalar(scope + "/half", 0.5)])
    }

    /// LayerNormalization over the last axis of an NHWC (or [N,C]) value.
    mutating func layerNorm(_ x: String, _ prefix: String, eps: Float) throws -> String {
        op("LayerNormalization", "/" + prefix + "/LayerNormalization",
           [x, try weight(prefix + ".weight"), try weight(prefix + ".bias")],
           [.int("axis", -1), .float("epsilon", eps)])
    }

    mutating func toNHWC(_ x: String, _ scope: String) -> String {
        op("Transpose", scope + "/Transpose_nhwc", [x], [.ints("perm", [0, 2, 3, 1])])
    }

    mutating func toNCHW(_ x: String, _ scope: String) -> String {
        op("Transpose", scope + "/Transpose_nchw", [x], [.ints("perm", [0, 3, 1, 2])])
    }

    /// LayerNorm over the channels of an NCHW value (transposed to NHWC and back).
    mutating func channelLayerNorm(_ x: String, _ prefix: String, eps: Float) throws -> String {
        let scope = "/" + prefix
        return toNCHW(try layerNorm(toNHWC(x, scope), prefix, eps: eps), scope)
    }

    /// A 2-D convolution with weight and bias `prefix.weight` / `prefix.bias`.
    mutating func conv(_ x: String, _ prefix: String, kernel: Int, stride: Int = 1, pad: Int = 0,
                       groups: Int = 1) throws -> String {
        var attrs: [ONNXGraph.Attribute] = [.ints("kernel_shape", [kernel, kernel]), .ints("strides", [stride, stride]),
                                            .ints("pads", [pad, pad, pad, pad])]
        if groups > 1 { attrs.append(.int("group", groups)) }
        return op("Conv", "/" + prefix + "/Conv", [x, try weight(prefix + ".weight"), try weight(prefix + ".bias")], attrs)
    }

    /// `x · Wᵀ + b` over the last axis, for a torch-layout `[out, in]` weight (the transpose is a node on the
    /// initializer, which runtimes fold once at load).
    mutating func linear(_ x: String, _ prefix: String) throws -> String {
        let scope = "/" + prefix
        let wt = op("Transpose", scope + "/Transpose_weight", [try weight(prefix + ".weight")], [.ints("perm", [1, 0])])
        let y = op("MatMul", scope + "/MatMul", [x, wt])
        return op("Add", scope + "/Add", [y, try weight(prefix + ".bias")])
    }

    /// Global average pool → flatten → (optional LayerNorm) → `Gemm` classifier writing `output` (without `fc`,
    /// the pooled features are the output).
    mutating func classifier(_ x: String, norm: String?, normEps: Float, fc: String?, output: String) throws {
        var v = op("GlobalAveragePool", "/head/GlobalAveragePool", [x])
        guard let fc else {
            graph.nodes.append(ONNXGraph.Node(opType: "Flatten", name: "/head/Flatten", inputs: [v], outputs: [output],
                                              attributes: [.int("axis", 1)]))
            return
        }
        v = op("Flatten", "/head/Flatten", [v], [.int("axis", 1)])
        if let norm { v = try layerNorm(v, norm, eps: normEps) }
        graph.nodes.append(ONNXGraph.Node(opType: "Gemm", name: "/" + fc + "/Gemm",
                                          inputs: [v, try weight(fc + ".weight"), try weight(fc + ".bias")],
                                          outputs: [output], attributes: [.int("transB", 1)]))
    }

    /// Declares the graph's image input and logits output.
    mutating func declareIO(input: String, inChannels: Int, output: String, classes: Int, batch: ONNXGraph.Dimension) {
        graph.inputs = [ONNXGraph.Value(name: input, shape: [batch, .fixed(inChannels), .symbolic("height"),
                                                             .symbolic("width")])]
        graph.outputs = [ONNXGraph.Value(name: output, shape: [batch, .fixed(classes)])]
    }
}
