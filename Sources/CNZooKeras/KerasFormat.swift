import CNZooCore
import CNZooKerasC

/// Keras weight files, read and written through libhdf5 (and `.keras` archives through libzip).
///
/// Reading is content-detected and keeps every dataset under its HDF5 path as the tensor name
/// (`layers/dense_3/vars/0`, `model_weights/<layer>/<layer>/kernel`); naming conventions interpret the paths.
/// Facts found in attributes are kept in `Checkpoint.metadata` under `keras.*` keys (see `MetadataKey`).
public enum KerasFormat: MappedCheckpointReader {
    /// The file layouts Keras has used.
    public enum Layout: String, Sendable {
        /// Keras 3 `save_weights` (`.weights.h5`): `layers/<class>[_n]/vars/<i>`.
        case keras3Weights = "keras3-weights"
        /// A Keras 3 `.keras` archive (its `model.weights.h5` member is a `keras3Weights` file).
        case kerasArchive = "keras-archive"
        /// Legacy Keras 2 `save_weights` to `.h5`: `<layer>/<layer>/<weight>`, root attribute `layer_names`.
        case legacyWeights = "keras2-weights"
        /// Legacy Keras 2 full-model `.h5`: the same under `model_weights/`.
        case legacyModel = "keras2-model"
    }

    /// `Checkpoint.metadata` keys the reader fills and the writer honours.
    public enum MetadataKey {
        /// The `Layout` raw value.
        public static let layout = "keras.layout"
        /// Prefix of per-group `name` attributes: `keras.name:<group path>` → layer name (Keras 3 `vars` groups).
        public static let namePrefix = "keras.name:"
        /// Legacy files: the root `layer_names` attribute, one name per line.
        public static let layerNames = "keras.layer_names"
        /// Legacy files: `keras_version` and `backend` root attributes.
        public static let kerasVersion = "keras.keras_version"
        public static let backend = "keras.backend"
    }

    /// Whether `bytes` are an HDF5 file or a `.keras` archive.
    public static func detect(_ bytes: UnsafeRawBufferPointer) -> Layout? {
        if bytes.count >= 8, Array(bytes[0..<8]) == HDF5Superblock.signature { return .keras3Weights }
        return KerasArchive.isKerasArchive(bytes) ? .kerasArchive : nil
    }

    /// Reads a Keras file from an already mapped (or in-memory) file. Contiguous datasets stay in the file as
    /// ranges; a `.keras` archive's weights member is read into memory once (libzip), never extracted to disk.
    public static func read(file: MappedFile) throws -> Checkpoint {
        do {
            if KerasArchive.isKerasArchive(file.bytes) {
                let member = try KerasArchive.member(KerasArchive.weightsMember, in: file.bytes, file: file.path)
                let inner = member.withUnsafeBytes { MappedFile(copying: $0, path: "\(file.path)!\(KerasArchive.weightsMember)") }
                var ckpt = try readHDF5(file: inner, base: 0, size: inner.size)
                ckpt.metadata[MetadataKey.layout] = Layout.kerasArchive.rawValue
                ckpt.notes.append("read \(KerasArchive.weightsMember) from the .keras archive (libzip, in memory)")
                return ckpt
            }
            return try readHDF5(file: file, base: 0, size: file.size)
        } catch {
            throw CNZooError.wrap(error, file: file.path)
        }
    }

    static func readHDF5(file: MappedFile, base: Int, size: Int) throws -> Checkpoint {
        let image = UnsafeRawBufferPointer(rebasing: file.bytes[base..<(base + size)])
        let listing = try HDF5Reader.index(image, file: file.path)
        return try checkpoint(listing, file: file, base: base, size: size)
    }

    /// Builds the checkpoint from a listing of the HDF5 file that `file` holds whole (for fuzz harnesses that walked
    /// it with `HDF5Reader.indexInProcess`): legacy files in `layer_names` / `weight_names` order (the order
    /// Keras loads them by), every other dataset after them in walk order.
    public static func checkpoint(from listing: HDF5Listing, file: MappedFile) throws -> Checkpoint {
        try checkpoint(listing, file: file, base: 0, size: file.size)
    }

    static func checkpoint(_ listing: HDF5Listing, file: MappedFile, base: Int, size: Int) throws -> Checkpoint {
        guard listing.datasets.count <= Limits.maxTensors else {
            throw Limits.exceeded("maxTensors", Limits.maxTensors, "datasets", file: file.path)
        }
        var metadata: [String: String] = [:]
        var ordered: [String] = []
        let layout: Layout
        let legacyRoot: String?
        if listing.stringAttributes["model_weights"]?["layer_names"] != nil {
            (layout, legacyRoot) = (.legacyModel, "model_weights")
        } else if listing.stringAttributes[""]?["layer_names"] != nil {
            (layout, legacyRoot) = (.legacyWeights, "")
        } else {
            (layout, legacyRoot) = (.keras3Weights, nil)
        }
        metadata[MetadataKey.layout] = layout.rawValue
        if let root = legacyRoot {
            let names = listing.stringAttributes[root]?["layer_names"] ?? []
            metadata[MetadataKey.layerNames] = names.joined(separator: "\n")
            for key in ["keras_version", "backend"] {
                if let v = listing.string(key, on: root) ?? listing.string(key, on: "") { metadata["keras.\(key)"] = v }
            }
            let prefix = root.isEmpty ? "" : root + "/"
            for layer in names {
                for w in listing.stringAttributes[prefix + layer]?["weight_names"] ?? [] {
                    ordered.append(prefix + layer + "/" + w)
                }
            }
        } else {
            for (path, attrs) in listing.stringAttributes where path.hasSuffix("vars") {
                if let v = attrs["name"], v.count == 1 { metadata[MetadataKey.namePrefix + path] = v[0] }
            }
        }
        let byPath = Dictionary(listing.datasets.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        var seen = Set<String>()
        var tensors: [TensorEntry] = []
        for path in ordered + listing.datasets.map(\.path) where seen.insert(path).inserted {
            guard let d = byPath[path] else {
                throw CNZooError(.malformed, "weight_names lists \(path), which is not a dataset", file: file.path)
            }
            tensors.append(try HDF5Reader.tensor(d, name: path, file: file, base: base, imageSize: size))
        }
        var notes: [String] = []
        let decoded = listing.datasets.filter { $0.bytes != nil }.count
        if decoded > 0 { notes.append("\(decoded) chunked or compact dataset(s) were decoded by libhdf5") }
        return Checkpoint(tensors: tensors, metadata: metadata, notes: notes)
    }

    /// Writes `checkpoint` as a Keras 3 `.weights.h5`: one contiguous dataset per tensor at the tensor's name (an
    /// HDF5 path), parent groups created as needed, each group named in `metadata["keras.name:<group>"]` created
    /// with that `name` attribute (Keras writes one on every `vars` group). F32, F64, F16 and BF16 (stored as
    /// uint16 with `dtype="bfloat16"`, as Keras does). Tensors are written one at a time (no whole-model buffer),
    /// object time stamps are off (equal inputs give equal bytes), and the file appears atomically.
    public static func write(_ checkpoint: Checkpoint, to path: String, options: WriteOptions = WriteOptions()) throws {
        var groups: [String] = []
        var known = Set<String>()
        func addGroups(of name: String) throws {
            let parts = name.split(separator: "/", omittingEmptySubsequences: false)
            guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
                throw CNZooError(.usage, "not a valid HDF5 path", file: path, tensor: name)
            }
            for i in 1..<max(parts.count, 1) {
                let g = parts[0..<i].joined(separator: "/")
                if known.insert(g).inserted { groups.append(g) }
            }
        }
        var seen = Set<String>()
        for t in checkpoint.tensors {
            guard seen.insert(t.name).inserted else { throw CNZooError(.malformed, "duplicate tensor name", tensor: t.name) }
            guard [.f32, .f64, .f16, .bf16].contains(t.dtype) else {
                throw CNZooError(.unsupported, "Keras weights are floating point; \(t.dtype) is not written", tensor: t.name)
            }
            guard t.shape.count <= 32, let n = Checked.byteCount(t.shape, t.dtype), n == t.byteCount else {
                throw CNZooError(.malformed, "shape \(t.shape) of \(t.dtype) does not match \(t.byteCount) bytes",
                                 tensor: t.name)
            }
            try addGroups(of: t.name)
        }
        let named = checkpoint.metadata.keys.filter { $0.hasPrefix(MetadataKey.namePrefix) }.sorted()
        for key in named {
            let g = String(key.dropFirst(MetadataKey.namePrefix.count))
            try addGroups(of: g + "/x")
            guard !seen.contains(g) else { throw CNZooError(.usage, "\(g) is both a group and a dataset", file: path) }
        }
        let out = try AtomicFileWriter(path: path, overwrite: options.overwrite)
        cnzoo_h5_lock()
        defer { cnzoo_h5_unlock() }
        var fileID: Int64 = -1
        func fail(_ what: String, tensor: String? = nil) -> CNZooError {
            CNZooError(.io, "libhdf5 could not \(what): \(String(cString: cnzoo_h5w_last_error()))", file: path,
                       tensor: tensor)
        }
        do {
            fileID = cnzoo_h5w_create(out.temporaryPath)
            guard fileID >= 0 else { throw fail("create the file") }
            for g in groups {
                let name = checkpoint.metadata[MetadataKey.namePrefix + g]
                guard cnzoo_h5w_group(fileID, "/" + g, name) == 0 else { throw fail("create group /\(g)") }
            }
            let total = checkpoint.byteCount
            var done = 0
            for t in checkpoint.tensors {
                let dims = t.shape.map { UInt64($0) }
                let width = t.dtype.byteWidth ?? 4
                let rc = try t.data.withContiguousBytes { bytes in
                    cnzoo_h5w_dataset(fileID, "/" + t.name, Int32(width), t.dtype == .bf16 ? 1 : 0, Int32(dims.count),
                                      dims, bytes.baseAddress, bytes.count)
                }
                guard rc == 0 else { throw fail("write the dataset", tensor: t.name) }
                done += t.byteCount
                options.progress?(done, total)
            }
            let closed = cnzoo_h5w_close(fileID)
            fileID = -1
            guard closed == 0 else { throw fail("close the file") }
            try out.commit()
        } catch {
            if fileID >= 0 { _ = cnzoo_h5w_close(fileID) }
            out.abort()
            throw CNZooError.wrap(error, file: path)
        }
    }
}
