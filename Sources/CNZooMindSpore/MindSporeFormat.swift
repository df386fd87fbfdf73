import CNZooCore

/// MindSpore `.ckpt` files: a stream of independently serialized protobuf `Checkpoint` messages, one `Value` record
/// each (`tag`, `TensorProto { dims, tensor_type, tensor_content }`), optionally followed by a 17-byte `crc_num`
/// trailer. Parameters larger than MindSpore's slice size span several consecutive records with the same tag.
public enum MindSporeFormat {
    /// The slice size MindSpore uses when saving: 512 MiB of tensor content per record.
    public static let defaultSliceBytes = 512 << 20

    /// Reads a `.ckpt` file. Tensor bytes stay in the mapped file (one range per slice). Every record is kept,
    /// optimizer state included; use `TensorRole.classify` to tell weights from the rest.
    public static func read(path: String, verifyCRC: Bool = true) throws -> Checkpoint {
        do {
            return try read(file: MappedFile(path: path), verifyCRC: verifyCRC)
        } catch {
            throw CNZooError.wrap(error, file: path)
        }
    }

    /// Reads from an already mapped file. With `verifyCRC` (the default) a `crc_num` trailer is checked against the
    /// records and a mismatch throws `.integrity`; an encrypted file throws `.encrypted`.
    public static func read(file: MappedFile, verifyCRC: Bool = true) throws -> Checkpoint {
        do {
            let stream = try CheckpointStream.parse(file.bytes, path: file.path, verifyCRC: verifyCRC)
            let tensors = stream.parameters.map { p -> TensorEntry in
                let data: TensorData
                if p.chunks.count == 1, let only = p.chunks.first {
                    data = .file(file, only)
                } else {
                    data = TensorData(.chunks(file, p.chunks), byteCount: p.byteCount)
                }
                return TensorEntry(name: p.name, dtype: p.dtype, shape: p.shape, data: data)
            }
            var notes = stream.notes
            let sliced = stream.parameters.filter { $0.chunks.count > 1 }.count
            if sliced > 0 { notes.append("\(sliced) parameter(s) were stored in several slices and were joined") }
            return Checkpoint(tensors: tensors, metadata: [:], extras: stream.extras, notes: notes)
        } catch {
            throw CNZooError.wrap(error, file: file.path)
        }
    }

    /// Parses and validates a whole `.ckpt` image held in memory, building no checkpoint: the same checks `read` makes
    /// (for fuzz harnesses and quick checks). Returns the number of tensors and extras found.
    @discardableResult
    public static func validate(_ bytes: UnsafeRawBufferPointer, verifyCRC: Bool = true) throws -> (tensors: Int, extras: Int) {
        let stream = try CheckpointStream.parse(bytes, path: nil, verifyCRC: verifyCRC)
        return (stream.parameters.count, stream.extras.count)
    }

    /// Whether `bytes` start with MindSpore's encryption header (then `read` refuses the file as `.encrypted`).
    public static func looksEncrypted(_ bytes: UnsafeRawBufferPointer) -> Bool {
        CheckpointStream.encryptionMode(bytes) != nil
    }

    /// Whether `metadata` (a safetensors `__metadata__`) marks a file written by MindSpore
    /// (`save_checkpoint(..., format="safetensors")` writes `{"format": "ms"}`).
    public static func isMindSporeSafeTensors(metadata: [String: String]) -> Bool {
        metadata["format"] == "ms"
    }
}
