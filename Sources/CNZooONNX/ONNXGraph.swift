import CNZooCore

/// An ONNX graph as cnzoo builds it: nodes in topological order, one float32 input, one output, and the weights as
/// initializers whose bytes stay lazy (they are streamed into the file by `ONNXExport`, never gathered in memory).
///
/// Everything that is not a weight (reshape targets, GELU constants) lives in `Constant` nodes, so the initializers
/// of an exported file are exactly the source checkpoint's tensors and reading the file back gives them again.
public struct ONNXGraph: Sendable {
    /// One attribute of a node.
    public enum Attribute: Sendable, Equatable {
        case int(String, Int)
        case float(String, Float)
        case string(String, String)
        case ints(String, [Int])
        /// A small constant tensor (`Constant.value`): float32 or int64 values with a shape.
        case floatTensor(String, [Float], shape: [Int])
        case int64Tensor(String, [Int64], shape: [Int])

        /// The attribute's name.
        public var name: String {
            switch self {
            case let .int(n, _), let .float(n, _), let .string(n, _), let .ints(n, _), let .floatTensor(n, _, _),
                 let .int64Tensor(n, _, _):
                return n
            }
        }
    }

    /// One operator application.
    public struct Node: Sendable, Equatable {
        public var opType: String
        public var name: String
        public var inputs: [String]
        public var outputs: [String]
        public var attributes: [Attribute]

        public init(opType: String, name: String, inputs: [String], outputs: [String], attributes: [Attribute] = []) {
            self.opType = opType
            self.name = name
            self.inputs = inputs
            self.outputs = outputs
            self.attributes = attributes
        }
    }

    /// One dimension of a graph input or output: fixed or symbolic (`batch`).
    public enum Dimension: Sendable, Equatable {
        case fixed(Int)
        case symbolic(String)
    }

    /// A float32 graph input or output.
    public struct Value: Sendable, Equatable {
        public var name: String
        public var shape: [Dimension]

        public init(name: String, shape: [Dimension]) {
            self.name = name
            self.shape = shape
        }
    }

    /// A weight: the initializer's name and shape in the file, and the source tensor whose bytes (converted to
    /// float32 where needed) become its data.
    public struct Initializer: Sendable {
        public var name: String
        public var shape: [Int]
        public var tensor: TensorEntry

        public init(name: String, shape: [Int], tensor: TensorEntry) {
            self.name = name
            self.shape = shape
            self.tensor = tensor
        }
    }

    public var name: String
    public var nodes: [Node] = []
    public var inputs: [Value] = []
    public var outputs: [Value] = []
    public var initializers: [Initializer] = []

    public init(name: String) {
        self.name = name
    }

    /// Bytes the initializers take as float32.
    public var initializerBytes: Int { initializers.reduce(0) { $0 + 4 * (Checked.elementCount($1.shape) ?? 0) } }
}
