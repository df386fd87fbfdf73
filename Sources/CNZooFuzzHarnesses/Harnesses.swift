import CNZooCore
import CNZooFormats
import CNZooMindSpore
import CNZooNumPy
import CNZooONNX
import CNZooPyTorch
import CNZooSafeTensors

/// The fuzz harnesses: each takes arbitrary bytes and must return normally (errors are fine; crashes, leaks and
/// hangs are bugs). `scripts/fuzz.sh HARNESS` builds them into `cnzoo-fuzz` with libFuzzer + AddressSanitizer;
/// `swift test` replays every saved crasher and every fixture through them (RobustnessTests).
///
/// Harnesses that read a whole checkpoint also pull every tensor's bytes and check the reader's promises
/// (`Harnesses.touchAll`): a reader that hands out fewer or more bytes than it declared, or a byte count that does
/// not match dtype × shape, is a bug even when nothing crashes, so those traps on purpose.
public enum Harnesses {
    /// Every harness by name.
    public static let all: [String: (UnsafeRawBufferPointer) -> Void] = [
        "json": { bytes in _ = try? JSONParser.parse(bytes) },
        "safetensors": { bytes in
            guard let header = try? SafeTensors.parseHeader(bytes) else { return }
            _ = try? SafeTensors.validate(header, fileSize: bytes.count)
        },
        "safetensors-read": { bytes in
            let file = MappedFile(copying: bytes, path: "<fuzz>")
            if let ckpt = try? SafeTensors.read(file: file) { touchAll(ckpt) }
        },
        "detect": { bytes in _ = FormatDetector.detect(bytes) },
        // CRC not verified, so mutants reach the record parser instead of stopping at the checksum.
        "mindspore": { bytes in _ = try? MindSporeFormat.validate(bytes, verifyCRC: false) },
        "pickle": { bytes in
            let file = MappedFile(copying: bytes, path: "<fuzz>")
            let machine = PickleMachine(file.bytes, file: file.path)
            guard let root = try? machine.run() else { return }
            _ = try? PickleSafety.refuseCodeExecution(machine, file: file.path)
            _ = machine.arena.describe(root, depth: 4)
        },
        "zip": { bytes in
            let file = MappedFile(copying: bytes, path: "<fuzz>")
            guard let archive = try? ZipArchive(file: file) else { return }
            for entry in archive.entries {
                _ = archive.entry(entry.name)
                guard let data = try? archive.storedBytes(entry) else { continue }
                sink ^= checksum(data)
            }
        },
        "pth": { bytes in
            let file = MappedFile(copying: bytes, path: "<fuzz>")
            if let ckpt = try? PyTorchFormat.read(file: file) { touchAll(ckpt) }
        },
        "ckpt": { bytes in
            let file = MappedFile(copying: bytes, path: "<fuzz>")
            if let ckpt = try? MindSporeFormat.read(file: file) { touchAll(ckpt) }
        },
        // cnzoo's .ckpt wire reader and protobuf-c's generated parser must agree (see CheckpointDifferential).
        "ckpt-diff": { bytes in
            if let why = CheckpointDifferential.disagreement(bytes) { fatalError("ckpt differential: \(why)") }
        },
        "onnx": { bytes in
            let file = MappedFile(copying: bytes, path: "<fuzz>")
            if let ckpt = try? ONNXFormat.read(file: file) { touchAll(ckpt) }
        },
        "npy": { bytes in
            guard let array = try? NumPyFormat.read(bytes: Array(bytes)) else { return }
            touchAll(Checkpoint(tensors: [TensorEntry(name: "npy", dtype: array.dtype, shape: array.shape,
                                                      data: array.data)]))
        },
        // `.npz`: libzip (in this process, as in cnzoo) opening the archive, then every member through the .npy reader.
        "npz": { bytes in
            let file = MappedFile(copying: bytes, path: "<fuzz>")
            if let ckpt = try? NpzPlugin().read(.file(file), options: ReadOptions()) { touchAll(ckpt) }
        },
        "hdf5": { hdf5($0) },
        "zip-diff": { zipDiff($0) },
        // Content detection plus whichever reader it picks: the path every command takes.
        "checkpoint": { bytes in
            let file = MappedFile(copying: bytes, path: "<fuzz>")
            if let (ckpt, _) = try? CheckpointIO.read(file: file) { touchAll(ckpt) }
        },
    ]

    /// Reads every byte of every tensor, trapping if a reader broke its own promises about sizes.
    public static func touchAll(_ checkpoint: Checkpoint) {
        for t in checkpoint.tensors {
            var seen = 0
            do {
                try t.data.forEachChunk { chunk in
                    seen += chunk.count
                    sink ^= checksum(chunk)
                }
            } catch {
                continue  // a lazy source may still refuse (a view past its storage); that is an error, not a bug
            }
            if seen != t.data.byteCount {
                fatalError("tensor '\(t.name)' yielded \(seen) bytes but declared \(t.data.byteCount)")
            }
            if let w = t.dtype.byteWidth, w > 0 {
                guard let n = Checked.elementCount(t.shape), let expected = Checked.multiply(n, w),
                      expected == t.data.byteCount else {
                    fatalError("tensor '\(t.name)' \(t.dtype) \(t.shape) declares \(t.data.byteCount) bytes")
                }
            }
        }
    }

    /// Keeps the optimiser from dropping the byte reads.
    nonisolated(unsafe) static var sink: UInt64 = 0

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0
        for b in bytes { h = (h &* 31) &+ UInt64(b) }
        return h
    }
}
