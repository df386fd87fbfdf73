import CNZooCore

/// A storage a pickle asked for through a persistent id: `('storage', torch.XxxStorage, key, location, numel)`.
struct StorageRequest {
    let key: String
    let dtype: DType
    /// Element count of the storage (in `dtype` elements).
    let numel: Int
}

/// Where a storage's bytes are: the whole storage as a validated file range.
typealias StorageResolver = (StorageRequest, _ tensor: String) throws -> (MappedFile, Range<Int>)

/// Turns the values a `PickleMachine` built into a `Checkpoint`. It interprets only tensor rebuilding
/// (`torch._utils._rebuild_tensor_v2`, `_rebuild_tensor`, `_rebuild_parameter(_with_state)`,
/// `torch._tensor._rebuild_from_type_v2`), typed storages and dicts; anything else becomes an opaque extra with a note.
struct StateDictDecoder {
    let arena: PickleArena
    let file: String
    let options: ReadOptions
    /// Byte-swap multi-byte elements (the archive says `byteorder` = `big`).
    let swapBytes: Bool
    let resolve: StorageResolver

    /// Tensor counts of nested dicts, by arena index. The memo lets one dict be referenced from many keys, so
    /// without this a small file (N keys → one dict of N entries) costs N² to describe.
    private let tensorCounts = TensorCountCache()

    private final class TensorCountCache {
        var byDict: [Int: Int] = [:]
    }

    /// How many tensor rebuild calls dict `i` holds directly (computed once per dict).
    private func tensorCount(inDict i: Int) -> Int {
        if let n = tensorCounts.byDict[i] { return n }
        let n = arena.dicts[i].reduce(0) { $0 + (isTensorCall($1.1) ? 1 : 0) }
        tensorCounts.byDict[i] = n
        return n
    }

    /// timm's `load_state_dict` order for wrapped checkpoints.
    static let wrapperOrder = ["state_dict_ema", "model_ema", "state_dict", "model"]

    private struct TensorSpec {
        let storage: StorageRequest
        let offset: Int
        let shape: [Int]
        let stride: [Int]
    }

    private func fail(_ code: CNZooError.Code, _ message: String, tensor: String? = nil) -> CNZooError {
        CNZooError(code, message, file: file, tensor: tensor)
    }

    private func fail(_ message: String, tensor: String? = nil) -> CNZooError { fail(.malformed, message, tensor: tensor) }

    // MARK: top level

    func decode(_ root: PickleValue) throws -> Checkpoint {
        var ckpt = Checkpoint()
        guard let top = arena.dictEntries(root) else {
            if case let .object(i) = root {
                throw fail(.unsupported,
                           "the file holds a pickled \(arena.objects[i].callableName ?? "object") object, not a state dict (for a whole nn.Module, re-save module.state_dict())")
            }
            throw fail(.unsupported, "the pickle holds a \(root.kind), not a state dict")
        }
        let keyed = top.compactMap { k, v -> (String, PickleValue)? in
            if case let .string(s) = k { return (s, v) }
            return nil
        }
        var chosen: (String, PickleValue)?
        if let key = options.key {
            guard let hit = keyed.first(where: { $0.0 == key }) else {
                throw CNZooError(.notFound, "no top-level key '\(key)'; the file has: "
                                 + keyed.map { $0.0 }.prefix(20).joined(separator: ", "), file: file)
            }
            guard arena.dictEntries(hit.1) != nil else {
                throw fail(.unsupported, "top-level '\(key)' is a \(hit.1.kind), not a state dict")
            }
            chosen = hit
        } else if let hit = StateDictDecoder.wrapperOrder.lazy
                    .compactMap({ k in keyed.first { $0.0 == k && arena.dictEntries($0.1) != nil } }).first {
            chosen = hit
        }
        if let (key, _) = chosen {
            let others = keyed.filter { k, v in
                guard k != key, case let .dict(i) = v else { return false }
                return tensorCount(inDict: i) > 0
            }.map(\.0)
            ckpt.metadata[WrapperKeys.usedKey] = key
            if !others.isEmpty { ckpt.metadata[WrapperKeys.othersKey] = others.joined(separator: ",") }
            let what = key.contains("ema") ? " (EMA)" : ""
            let how = options.key != nil ? "--key" : "timm's order: state_dict_ema, model_ema, state_dict, model"
            ckpt.notes.append("using top-level key '\(key)'\(what) (\(how))"
                              + (others.isEmpty ? "" : "; other weights in " + others.map { "'\($0)'" }.joined(separator: ", ")
                                 + " — pass --key \(others[0])"))
        }

        if let (chosenKey, dict) = chosen {
            try readStateDict(dict, into: &ckpt)
            for (k, v) in top {
                if case let .string(s) = k, s == chosenKey { continue }
                addExtra(name: keyName(k), value: v, to: &ckpt)
            }
        } else {
            try readStateDict(root, into: &ckpt)
            let holders = keyed.filter { _, v in
                if case let .dict(i) = v { return tensorCount(inDict: i) > 0 }
                return false
            }
            if ckpt.tensors.isEmpty, !holders.isEmpty {
                ckpt.notes.append("no tensors at the top level; tensors are under "
                                  + holders.map { "'\($0.0)'" }.joined(separator: ", ") + " — choose with --key")
            }
        }
        if options.stripPrefixes { try stripPrefixes(&ckpt) }
        return ckpt
    }

    private func keyName(_ k: PickleValue) -> String {
        if case let .string(s) = k { return s }
        return arena.describe(k, depth: 0)
    }

    private func addExtra(name: String, value v: PickleValue, to ckpt: inout Checkpoint) {
        switch v {
        case let .int(i): ckpt.extras.append(.init(name: name, value: .int(i)))
        case let .float(f): ckpt.extras.append(.init(name: name, value: .float(f)))
        case let .bool(b): ckpt.extras.append(.init(name: name, value: .bool(b)))
        case let .string(s): ckpt.extras.append(.init(name: name, value: .string(s)))
        case .none: ckpt.extras.append(.init(name: name, value: .opaque("None")))
        case let .dict(i):
            let tensors = tensorCount(inDict: i)
            ckpt.extras.append(.init(name: name, value: .opaque("dict with \(arena.dicts[i].count) entries"
                                                                 + (tensors > 0 ? " (\(tensors) tensors)" : ""))))
        case let .object(i):
            let text = arena.describe(v)
            ckpt.extras.append(.init(name: name, value: .opaque(text)))
            let callable = arena.objects[i].callableName ?? "computed"
            if callable.hasPrefix("torch._utils._rebuild") {
                ckpt.notes.append("refused tensor '\(name)': \(callable) (quantized, sparse, meta or subclass tensors) is not supported; kept as an opaque extra")
            } else if !isTensorCall(v) {
                ckpt.notes.append("'\(name)' is \(Article.a(callable)) object; kept as an opaque extra, not interpreted")
            }
        default:
            ckpt.extras.append(.init(name: name, value: .opaque(arena.describe(v))))
        }
    }

    // MARK: state dict

    private func readStateDict(_ dict: PickleValue, into ckpt: inout Checkpoint) throws {
        guard let entries = arena.dictEntries(dict) else { return }
        guard entries.count <= Limits.maxTensors else {
            throw Limits.exceeded("maxTensors", Limits.maxTensors, "state dict of \(entries.count) entries", file: file)
        }
        var seen = Set<String>()
        var byStorage: [String: [String]] = [:]
        for (k, v) in entries {
            guard case let .string(name) = k else {
                throw fail("state dict key \(arena.describe(k, depth: 0)) is a \(k.kind), expected a string")
            }
            guard isTensorCall(v) else {
                addExtra(name: name, value: v, to: &ckpt)
                continue
            }
            guard seen.insert(name).inserted else { throw fail("tensor name '\(name)' appears twice", tensor: name) }
            let spec = try tensorSpec(v, name: name)
            ckpt.tensors.append(try entry(name: name, spec))
            byStorage[spec.storage.key, default: []].append(name)
        }
        for (key, names) in byStorage.sorted(by: { $0.key < $1.key }) where names.count > 1 {
            ckpt.notes.append("tensors \(names.joined(separator: ", ")) share storage '\(key)' (tied or views); each is read as its own tensor")
        }
    }

    private func stripPrefixes(_ ckpt: inout Checkpoint) throws {
        var stripped = 0
        var seen = Set<String>()
        for i in ckpt.tensors.indices {
            var n = ckpt.tensors[i].name
            var changed = true
            while changed {
                changed = false
                for p in ["module.", "_orig_mod."] where n.hasPrefix(p) {
                    n.removeFirst(p.count)
                    changed = true
                }
            }
            if n != ckpt.tensors[i].name { stripped += 1 }
            guard seen.insert(n).inserted else {
                throw fail(.malformed, "stripping prefixes makes two tensors named '\(n)'", tensor: ckpt.tensors[i].name)
            }
            ckpt.tensors[i].name = n
        }
        if stripped > 0 { ckpt.notes.append("stripped 'module.' / '_orig_mod.' prefixes from \(stripped) tensor names") }
    }

    // MARK: tensors

    /// The dtype of a `torch.<name>` dtype global (`float32`, `float8_e4m3fn`...).
    static func dtype(torchName: String) -> DType? {
        let table: [String: DType] = [
            "float64": .f64, "double": .f64, "float32": .f32, "float": .f32, "float16": .f16, "half": .f16,
            "bfloat16": .bf16, "int64": .i64, "long": .i64, "int32": .i32, "int": .i32, "int16": .i16,
            "short": .i16, "int8": .i8, "uint8": .u8, "bool": .bool, "uint16": .u16, "uint32": .u32, "uint64": .u64,
            "float8_e5m2": DType(rawValue: "F8_E5M2"), "float8_e4m3fn": DType(rawValue: "F8_E4M3"),
            "float8_e4m3fnuz": DType(rawValue: "F8_E4M3FNUZ"), "float8_e5m2fnuz": DType(rawValue: "F8_E5M2FNUZ"),
            "float8_e8m0fnu": DType(rawValue: "F8_E8M0"),
        ]
        return table[torchName]
    }

    /// Whether `v` is a call of one of the tensor rebuild functions.
    private func isTensorCall(_ v: PickleValue) -> Bool {
        guard case let .object(i) = v, let n = arena.objects[i].callableName else { return false }
        return ["torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3", "torch._utils._rebuild_tensor",
                "torch._utils._rebuild_parameter",
                "torch._utils._rebuild_parameter_with_state", "torch._tensor._rebuild_from_type_v2"].contains(n)
            && arena.objects[i].kind == .reduce
    }

    private func int(_ v: PickleValue?, _ what: String, _ name: String) throws -> Int {
        guard case let .int(i)? = v, let n = Int(exactly: i) else {
            throw fail("\(what) is \(v.map { arena.describe($0, depth: 0) } ?? "missing"), expected an integer", tensor: name)
        }
        return n
    }

    private func intTuple(_ v: PickleValue?, _ what: String, _ name: String) throws -> [Int] {
        guard let v, let items = arena.tupleItems(v) else {
            throw fail("\(what) is \(v?.kind ?? "missing"), expected a tuple", tensor: name)
        }
        guard items.count <= Limits.maxRank else {
            throw Limits.exceeded("maxRank", Limits.maxRank, "\(what) of rank \(items.count)", file: file, tensor: name)
        }
        return try items.map { try int($0, what, name) }
    }

    private func tensorSpec(_ v: PickleValue, name: String, depth: Int = 0) throws -> TensorSpec {
        guard case let .object(i) = v else { throw fail("expected a tensor, found a \(v.kind)", tensor: name) }
        let o = arena.objects[i]
        return try tensorSpec(callable: o.callableName, args: arena.tupleItems(o.args) ?? [], name: name, depth: depth)
    }

    private func tensorSpec(callable: String?, args: [PickleValue], name: String, depth: Int) throws -> TensorSpec {
        guard depth < 4 else { throw fail("tensor rebuild calls nest too deeply", tensor: name) }
        switch callable {
        case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
            guard let data = args.first else { throw fail("_rebuild_parameter without arguments", tensor: name) }
            return try tensorSpec(data, name: name, depth: depth + 1)
        case "torch._tensor._rebuild_from_type_v2":
            // (func, new_type, args, state): the tensor is func(*args); new_type and state are Python-side only.
            guard args.count >= 3, case let .global(m, n) = args[0], let inner = arena.tupleItems(args[2]) else {
                throw fail("_rebuild_from_type_v2 with unexpected arguments", tensor: name)
            }
            return try tensorSpec(callable: "\(m).\(n)", args: inner, name: name, depth: depth + 1)
        case "torch._utils._rebuild_tensor_v3":
            // (storage, offset, size, stride, requires_grad, hooks, dtype, ...): an untyped storage (numel = bytes)
            // whose element type is the `torch.<dtype>` global.
            guard args.count >= 7, case let .global("torch", dtypeName) = args[6] else {
                throw fail("_rebuild_tensor_v3 with unexpected arguments", tensor: name)
            }
            guard let dtype = StateDictDecoder.dtype(torchName: dtypeName), let w = dtype.byteWidth else {
                throw fail(.unsupported, "torch.\(dtypeName) tensors are not supported", tensor: name)
            }
            let bytesStorage = try storageRequest(args[0], name: name)
            guard bytesStorage.dtype == .u8 else {
                throw fail(.unsupported, "_rebuild_tensor_v3 on a typed \(bytesStorage.dtype) storage", tensor: name)
            }
            let storage = StorageRequest(key: bytesStorage.key, dtype: dtype, numel: bytesStorage.numel / w)
            let shape = try intTuple(args[2], "size", name)
            let stride = try intTuple(args[3], "stride", name)
            guard shape.count == stride.count else {
                throw fail("size \(shape) and stride \(stride) have different ranks", tensor: name)
            }
            return TensorSpec(storage: storage, offset: try int(args[1], "storage offset", name), shape: shape,
                              stride: stride)
        case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
            guard args.count >= 4 else { throw fail("\(callable ?? "") with \(args.count) arguments", tensor: name) }
            let storage = try storageRequest(args[0], name: name)
            let offset = try int(args[1], "storage offset", name)
            let shape = try intTuple(args[2], "size", name)
            let stride = try intTuple(args[3], "stride", name)
            guard shape.count == stride.count else {
                throw fail("size \(shape) and stride \(stride) have different ranks", tensor: name)
            }
            return TensorSpec(storage: storage, offset: offset, shape: shape, stride: stride)
        default:
            throw fail(.unsupported, "\(callable ?? "a computed callable") is not a tensor rebuild function", tensor: name)
        }
    }

    private func storageRequest(_ v: PickleValue, name: String) throws -> StorageRequest {
        guard case let .persistent(p) = v else {
            throw fail(.unsupported, "tensor storage is a \(v.kind), expected a persistent id", tensor: name)
        }
        let pid = arena.persistentIDs[p]
        guard let items = arena.tupleItems(pid), items.count >= 5, items[0] == .string("storage") else {
            throw fail(.unsupported, "unsupported persistent id \(arena.describe(pid)); expected ('storage', type, key, location, numel)",
                       tensor: name)
        }
        guard case let .global(module, cls) = items[1], module == "torch" || module == "torch.storage" else {
            throw fail(.unsupported, "storage type \(arena.describe(items[1])) is not a torch storage class", tensor: name)
        }
        let storageDType = cls == "UntypedStorage" ? DType.u8 : DType(torchStorageClass: cls)
        guard let dtype = storageDType else {
            throw fail(.unsupported, "storage type torch.\(cls) is not supported (no plain dtype)", tensor: name)
        }
        let key: String
        switch items[2] {
        case let .string(s): key = s
        case let .int(i): key = String(i)
        default: throw fail("storage key is a \(items[2].kind)", tensor: name)
        }
        if items.count > 5, items[5] != .none {
            throw fail(.unsupported, "legacy storage views (view metadata in the persistent id) are not supported", tensor: name)
        }
        let numel = try int(items[4], "storage element count", name)
        guard numel >= 0 else { throw fail("negative storage element count \(numel)", tensor: name) }
        return StorageRequest(key: key, dtype: dtype, numel: numel)
    }

    private func entry(name: String, _ spec: TensorSpec) throws -> TensorEntry {
        let dtype = spec.storage.dtype
        guard let w = dtype.byteWidth else { throw fail(.unsupported, "dtype \(dtype) has no byte width", tensor: name) }
        guard let count = Checked.elementCount(spec.shape), let byteCount = Checked.multiply(count, w) else {
            throw fail("size \(spec.shape) is negative or overflows", tensor: name)
        }
        guard spec.offset >= 0 else { throw fail("negative storage offset \(spec.offset)", tensor: name) }
        if count == 0 { return TensorEntry(name: name, dtype: dtype, shape: spec.shape, data: .bytes([])) }
        guard spec.stride.allSatisfy({ $0 >= 0 }) else {
            throw fail(.unsupported, "negative stride \(spec.stride)", tensor: name)
        }
        // Highest element index the view touches, overflow-checked.
        var last = spec.offset
        for (d, s) in zip(spec.shape, spec.stride) {
            guard let step = Checked.multiply(d - 1, s), let l = Checked.add(last, step) else {
                throw fail("view extent overflows (size \(spec.shape), stride \(spec.stride))", tensor: name)
            }
            last = l
        }
        guard last < spec.storage.numel else {
            throw fail("view (offset \(spec.offset), size \(spec.shape), stride \(spec.stride)) reaches element \(last) of a storage of \(spec.storage.numel)",
                       tensor: name)
        }
        let (mapped, storageRange) = try resolve(spec.storage, name)
        var contiguous = true
        var expect = 1
        for (d, s) in zip(spec.shape, spec.stride).reversed() {
            if d != 1 && s != expect { contiguous = false }
            expect *= d
        }
        let swap = swapBytes && w > 1
        if contiguous {
            let start = storageRange.lowerBound + spec.offset * w
            let range = start..<(start + byteCount)
            if !swap { return TensorEntry(name: name, dtype: dtype, shape: spec.shape, data: .file(mapped, range)) }
            return TensorEntry(name: name, dtype: dtype, shape: spec.shape, data: TensorData(.computed({
                guard let region = mapped.region(range) else {
                    throw CNZooError(.truncated, "tensor data lies outside the file", file: mapped.path, tensor: name)
                }
                var out = Array(region)
                StateDictDecoder.swapElements(&out, width: w)
                return out
            }), byteCount: byteCount))
        }
        guard byteCount <= Limits.maxMaterializedTensorBytes else {
            throw Limits.exceeded("maxMaterializedTensorBytes", Limits.maxMaterializedTensorBytes,
                                  "non-contiguous view of \(byteCount) bytes", file: file, tensor: name)
        }
        let storageBytes = Checked.multiply(spec.storage.numel, w) ?? Int.max
        let allowed = max(Limits.viewAmplificationFloorBytes,
                          Checked.multiply(storageBytes, Limits.maxViewAmplification) ?? Int.max)
        guard byteCount <= allowed else {
            throw Limits.exceeded("maxViewAmplification", Limits.maxViewAmplification,
                                  "non-contiguous view of \(byteCount) bytes over a storage of \(storageBytes) bytes (size \(spec.shape), stride \(spec.stride))",
                                  file: file, tensor: name)
        }
        let shape = spec.shape, stride = spec.stride, offset = spec.offset
        return TensorEntry(name: name, dtype: dtype, shape: shape, data: TensorData(.computed({
            guard let region = mapped.region(storageRange) else {
                throw CNZooError(.truncated, "storage lies outside the file", file: mapped.path, tensor: name)
            }
            var out = StateDictDecoder.gather(region, width: w, offset: offset, shape: shape, stride: stride,
                                              count: count)
            if swap { StateDictDecoder.swapElements(&out, width: w) }
            return out
        }), byteCount: byteCount))
    }

    /// Copies a strided view (already validated to lie inside `storage`) into row-major order.
    static func gather(_ storage: UnsafeRawBufferPointer, width w: Int, offset: Int, shape: [Int], stride: [Int],
                       count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count * w)
        var index = [Int](repeating: 0, count: shape.count)
        var src = offset
        out.withUnsafeMutableBytes { dst in
            for n in 0..<count {
                UnsafeMutableRawBufferPointer(rebasing: dst[(n * w)..<((n + 1) * w)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: storage[(src * w)..<((src + 1) * w)]))
                var d = shape.count - 1
                while d >= 0 {
                    index[d] += 1
                    src += stride[d]
                    if index[d] < shape[d] { break }
                    src -= stride[d] * shape[d]
                    index[d] = 0
                    d -= 1
                }
            }
        }
        return out
    }

    /// Reverses the bytes of every `width`-byte element.
    static func swapElements(_ bytes: inout [UInt8], width w: Int) {
        var i = 0
        while i + w <= bytes.count {
            bytes[i..<(i + w)].reverse()
            i += w
        }
    }
}
