import CNZooCore
import CONNXProto
import CProtobufC
#if canImport(Glibc)
import Glibc
#endif

/// Serialises the structural parts of an ONNX model with the protobuf-c code generated from `onnx.proto`.
///
/// The weights are not packed here: a protobuf-c message holds every `bytes` field in memory, which for a 3 GB model
/// would mean one giant buffer. Instead the graph is packed without initializers, each initializer's `TensorProto`
/// is packed without its `raw_data`, and `ONNXExport` writes the length prefixes and splices the raw bytes in while
/// streaming (protobuf allows fields in any order and concatenated messages merge, so the result is one valid
/// `ModelProto`).
enum ProtoPacking {
    /// Owns the C memory of one message tree (malloc'd, freed together).
    final class Arena {
        private var blocks: [UnsafeMutableRawPointer] = []

        deinit { for b in blocks { free(b) } }

        func string(_ s: String) -> UnsafeMutablePointer<CChar> {
            let p = strdup(s)!
            blocks.append(UnsafeMutableRawPointer(p))
            return p
        }

        func array<T>(_ xs: [T]) -> UnsafeMutablePointer<T>? {
            guard !xs.isEmpty else { return nil }
            let raw = malloc(MemoryLayout<T>.stride * xs.count)!
            blocks.append(raw)
            let p = raw.bindMemory(to: T.self, capacity: xs.count)
            p.initialize(from: xs, count: xs.count)
            return p
        }

        /// A new message of type `T`, initialised by protobuf-c's generated `*_init`.
        func message<T>(_ initialise: (UnsafeMutablePointer<T>) -> Void) -> UnsafeMutablePointer<T> {
            let raw = malloc(MemoryLayout<T>.stride)!
            blocks.append(raw)
            let p = raw.bindMemory(to: T.self, capacity: 1)
            initialise(p)
            return p
        }

        func bytes(_ b: [UInt8]) -> ProtobufCBinaryData {
            ProtobufCBinaryData(len: b.count, data: array(b))
        }
    }

    /// The ONNX `TensorProto.DataType.FLOAT` and `INT64` codes.
    static let float: Int32 = 1
    static let int64: Int32 = 7

    /// A packed `ModelProto` with everything but the graph.
    static func packModel(irVersion: Int, opset: Int, producerVersion: String, metadata: [(String, String)]) -> [UInt8] {
        let a = Arena()
        let m: UnsafeMutablePointer<Onnx__ModelProto> = a.message(onnx__model_proto__init)
        m.pointee.has_ir_version = 1
        m.pointee.ir_version = Int64(irVersion)
        let op: UnsafeMutablePointer<Onnx__OperatorSetIdProto> = a.message(onnx__operator_set_id_proto__init)
        op.pointee.domain = a.string("")
        op.pointee.has_version = 1
        op.pointee.version = Int64(opset)
        m.pointee.n_opset_import = 1
        m.pointee.opset_import = a.array([Optional(op)])
        m.pointee.producer_name = a.string("cnzoo")
        m.pointee.producer_version = a.string(producerVersion)
        let props = metadata.map { entry(a, $0.0, $0.1) }
        m.pointee.n_metadata_props = props.count
        m.pointee.metadata_props = a.array(props.map { Optional($0) })
        return pack(m, onnx__model_proto__get_packed_size, onnx__model_proto__pack)
    }

    /// A packed `GraphProto` with nodes, inputs and outputs, without initializers.
    static func packGraph(_ g: ONNXGraph) -> [UInt8] {
        let a = Arena()
        let gp: UnsafeMutablePointer<Onnx__GraphProto> = a.message(onnx__graph_proto__init)
        gp.pointee.name = a.string(g.name)
        let nodes = g.nodes.map { node(a, $0) }
        gp.pointee.n_node = nodes.count
        gp.pointee.node = a.array(nodes.map { Optional($0) })
        let ins = g.inputs.map { valueInfo(a, $0) }
        gp.pointee.n_input = ins.count
        gp.pointee.input = a.array(ins.map { Optional($0) })
        let outs = g.outputs.map { valueInfo(a, $0) }
        gp.pointee.n_output = outs.count
        gp.pointee.output = a.array(outs.map { Optional($0) })
        return pack(gp, onnx__graph_proto__get_packed_size, onnx__graph_proto__pack)
    }

    /// Where an initializer's data goes.
    enum Placement {
        /// In the model file: the caller appends `raw_data` (field 9) after this header.
        case inline
        /// In an external data file at `offset`, `length` bytes.
        case external(location: String, offset: Int, length: Int)
    }

    /// A packed float32 `TensorProto` header (dims, data_type, name, and for external data its location) without
    /// `raw_data`.
    static func packTensorHeader(name: String, shape: [Int], placement: Placement) -> [UInt8] {
        let a = Arena()
        let t: UnsafeMutablePointer<Onnx__TensorProto> = a.message(onnx__tensor_proto__init)
        t.pointee.n_dims = shape.count
        t.pointee.dims = a.array(shape.map(Int64.init))
        t.pointee.has_data_type = 1
        t.pointee.data_type = float
        t.pointee.name = a.string(name)
        if case let .external(location, offset, length) = placement {
            let entries = [entry(a, "location", location), entry(a, "offset", String(offset)),
                           entry(a, "length", String(length))]
            t.pointee.n_external_data = entries.count
            t.pointee.external_data = a.array(entries.map { Optional($0) })
            t.pointee.has_data_location = 1
            t.pointee.data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL
        }
        return pack(t, onnx__tensor_proto__get_packed_size, onnx__tensor_proto__pack)
    }

    private static func entry(_ a: Arena, _ key: String, _ value: String) -> UnsafeMutablePointer<Onnx__StringStringEntryProto> {
        let e: UnsafeMutablePointer<Onnx__StringStringEntryProto> = a.message(onnx__string_string_entry_proto__init)
        e.pointee.key = a.string(key)
        e.pointee.value = a.string(value)
        return e
    }

    private static func node(_ a: Arena, _ n: ONNXGraph.Node) -> UnsafeMutablePointer<Onnx__NodeProto> {
        let p: UnsafeMutablePointer<Onnx__NodeProto> = a.message(onnx__node_proto__init)
        p.pointee.name = a.string(n.name)
        p.pointee.op_type = a.string(n.opType)
        p.pointee.n_input = n.inputs.count
        p.pointee.input = a.array(n.inputs.map { Optional(a.string($0)) })
        p.pointee.n_output = n.outputs.count
        p.pointee.output = a.array(n.outputs.map { Optional(a.string($0)) })
        let attrs = n.attributes.map { attribute(a, $0) }
        p.pointee.n_attribute = attrs.count
        p.pointee.attribute = a.array(attrs.map { Optional($0) })
        return p
    }

    private static func attribute(_ a: Arena, _ attr: ONNXGraph.Attribute) -> UnsafeMutablePointer<Onnx__AttributeProto> {
        let p: UnsafeMutablePointer<Onnx__AttributeProto> = a.message(onnx__attribute_proto__init)
        p.pointee.name = a.string(attr.name)
        p.pointee.has_type = 1
        switch attr {
        case let .int(_, v):
            p.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT
            p.pointee.has_i = 1
            p.pointee.i = Int64(v)
        case let .float(_, v):
            p.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT
            p.pointee.has_f = 1
            p.pointee.f = v
        case let .string(_, v):
            p.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING
            p.pointee.has_s = 1
            p.pointee.s = a.bytes(Array(v.utf8))
        case let .ints(_, v):
            p.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS
            p.pointee.n_ints = v.count
            p.pointee.ints = a.array(v.map(Int64.init))
        case let .floatTensor(_, v, shape):
            p.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR
            p.pointee.t = constant(a, type: float, shape: shape, raw: v.flatMap { littleEndianBytes($0.bitPattern) })
        case let .int64Tensor(_, v, shape):
            p.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR
            p.pointee.t = constant(a, type: int64, shape: shape, raw: v.flatMap { littleEndianBytes(UInt64(bitPattern: $0)) })
        }
        return p
    }

    private static func constant(_ a: Arena, type: Int32, shape: [Int], raw: [UInt8]) -> UnsafeMutablePointer<Onnx__TensorProto> {
        let t: UnsafeMutablePointer<Onnx__TensorProto> = a.message(onnx__tensor_proto__init)
        t.pointee.n_dims = shape.count
        t.pointee.dims = a.array(shape.map(Int64.init))
        t.pointee.has_data_type = 1
        t.pointee.data_type = type
        t.pointee.has_raw_data = 1
        t.pointee.raw_data = a.bytes(raw)
        return t
    }

    private static func valueInfo(_ a: Arena, _ v: ONNXGraph.Value) -> UnsafeMutablePointer<Onnx__ValueInfoProto> {
        let dims = v.shape.map { d -> UnsafeMutablePointer<Onnx__TensorShapeProto__Dimension> in
            let p: UnsafeMutablePointer<Onnx__TensorShapeProto__Dimension> = a.message(onnx__tensor_shape_proto__dimension__init)
            switch d {
            case let .fixed(n):
                p.pointee.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                p.pointee.dim_value = Int64(n)
            case let .symbolic(s):
                p.pointee.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
                p.pointee.dim_param = a.string(s)
            }
            return p
        }
        let shape: UnsafeMutablePointer<Onnx__TensorShapeProto> = a.message(onnx__tensor_shape_proto__init)
        shape.pointee.n_dim = dims.count
        shape.pointee.dim = a.array(dims.map { Optional($0) })
        let tensor: UnsafeMutablePointer<Onnx__TypeProto__Tensor> = a.message(onnx__type_proto__tensor__init)
        tensor.pointee.has_elem_type = 1
        tensor.pointee.elem_type = float
        tensor.pointee.shape = shape
        let type: UnsafeMutablePointer<Onnx__TypeProto> = a.message(onnx__type_proto__init)
        type.pointee.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE
        type.pointee.tensor_type = tensor
        let p: UnsafeMutablePointer<Onnx__ValueInfoProto> = a.message(onnx__value_info_proto__init)
        p.pointee.name = a.string(v.name)
        p.pointee.type = type
        return p
    }

    private static func pack<T>(_ message: UnsafeMutablePointer<T>, _ size: (UnsafePointer<T>) -> Int,
                                _ packer: (UnsafePointer<T>, UnsafeMutablePointer<UInt8>) -> Int) -> [UInt8] {
        let n = size(message)
        var out = [UInt8](repeating: 0, count: n)
        let written = out.withUnsafeMutableBufferPointer { packer(message, $0.baseAddress!) }
        precondition(written == n, "protobuf-c packed \(written) bytes, announced \(n)")
        return out
    }

    // MARK: - Wire helpers for the spliced parts

    static func littleEndianBytes<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
        withUnsafeBytes(of: v.littleEndian) { Array($0) }
    }

    /// A protobuf varint.
    static func varint(_ v: UInt64) -> [UInt8] {
        var v = v
        var out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }

    /// The key and length prefix of a length-delimited field.
    static func lengthPrefix(field: UInt64, length: Int) -> [UInt8] {
        varint(field << 3 | 2) + varint(UInt64(length))
    }
}
