/// Emits the protocol-2 pickle of a state dict the way `torch.load(weights_only=True)` accepts it: an
/// `OrderedDict` of `torch._utils._rebuild_tensor_v2` calls on persistent-id storages. Only allowlisted globals
/// (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`, `torch.<Xxx>Storage`) and weights-only opcodes
/// are written; strings use BINUNICODE (protocol 4's SHORT_BINUNICODE is refused by torch's weights-only loader).
struct PickleWriter {
    /// One tensor to describe.
    struct Tensor {
        let name: String
        let storageClass: String
        let storageKey: String
        let shape: [Int]
    }

    private(set) var bytes: [UInt8] = []

    private mutating func op(_ o: PickleOpcode) { bytes.append(o.rawValue) }

    private mutating func string(_ s: String) {
        let u = Array(s.utf8)
        op(.binUnicode)
        appendLE(UInt64(u.count), 4)
        bytes += u
    }

    private mutating func appendLE(_ v: UInt64, _ n: Int) {
        for i in 0..<n { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    private mutating func int(_ v: Int) {
        if v >= 0 && v < 0x100 {
            op(.binInt1); bytes.append(UInt8(v))
        } else if v >= 0 && v < 0x10000 {
            op(.binInt2); appendLE(UInt64(v), 2)
        } else if v >= Int(Int32.min) && v <= Int(Int32.max) {
            op(.binInt); appendLE(UInt64(UInt32(bitPattern: Int32(v))), 4)
        } else {
            // LONG1: minimal little-endian two's complement.
            var b: [UInt8] = []
            var x = v
            while true {
                let byte = UInt8(truncatingIfNeeded: x)
                b.append(byte)
                x >>= 8
                if (x == 0 && byte & 0x80 == 0) || (x == -1 && byte & 0x80 != 0) { break }
            }
            op(.long1); bytes.append(UInt8(b.count)); bytes += b
        }
    }

    private mutating func global(_ module: String, _ name: String) {
        op(.global)
        bytes += Array("\(module)\n\(name)\n".utf8)
    }

    private mutating func tuple(_ items: [Int]) {
        switch items.count {
        case 0: op(.emptyTuple)
        case 1: int(items[0]); op(.tuple1)
        case 2: int(items[0]); int(items[1]); op(.tuple2)
        case 3: int(items[0]); int(items[1]); int(items[2]); op(.tuple3)
        default: op(.mark); for i in items { int(i) }; op(.tuple)
        }
    }

    private mutating func emptyOrderedDict() {
        global("collections", "OrderedDict")
        op(.emptyTuple)
        op(.reduce)
    }

    /// Row-major strides as torch computes them for a contiguous tensor (size-0 dims count as 1).
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = acc
            acc *= max(shape[i], 1)
        }
        return strides
    }

    /// The complete pickle for `tensors`, in order: the state dict itself, or with `wrapKey` a plain dict holding it
    /// under that one key (`torch.save({"model": state_dict})`, what training scripts and the official releases write).
    static func stateDict(_ tensors: [Tensor], wrapKey: String? = nil) -> [UInt8] {
        var w = PickleWriter()
        w.op(.proto); w.bytes.append(2)
        if let wrapKey {
            w.op(.emptyDict)
            w.string(wrapKey)
        }
        w.emptyOrderedDict()
        if !tensors.isEmpty {
            w.op(.mark)
            for t in tensors {
                w.string(t.name)
                w.global("torch._utils", "_rebuild_tensor_v2")
                w.op(.mark)
                // Persistent id ('storage', torch.XxxStorage, key, 'cpu', numel).
                w.op(.mark)
                w.string("storage")
                w.global("torch", t.storageClass)
                w.string(t.storageKey)
                w.string("cpu")
                w.int(t.shape.reduce(1, *))
                w.op(.tuple)
                w.op(.binPersID)
                w.int(0)
                w.tuple(t.shape)
                w.tuple(contiguousStrides(t.shape))
                w.op(.newFalse)
                w.emptyOrderedDict()
                w.op(.tuple)
                w.op(.reduce)
            }
            w.op(.setItems)
        }
        if wrapKey != nil { w.op(.setItem) }
        w.op(.stop)
        return w.bytes
    }
}
