import CNZooCore
import CNZooMindSpore
import CNZooONNX

/// What a file's first bytes say it is.
public enum DetectedFormat: String, Sendable, Codable {
    case safetensors
    /// A zip archive (torch.save ≥ 1.6, or a TorchScript archive — the PyTorch reader tells them apart).
    case pytorchZip = "pytorch-zip"
    /// torch.save before 1.6 (or `_use_new_zipfile_serialization=False`): pickles after a magic number.
    case pytorchLegacy = "pytorch-legacy"
    /// A bare pickle stream.
    case pickle
    /// A MindSpore `.ckpt` protobuf stream.
    case mindspore
    /// A NumPy `.npy` array.
    case numpy
    /// An HDF5 file (Keras weights).
    case hdf5
    /// An ONNX model (`ModelProto`): its initializers read as tensors.
    case onnx
    case unknown

    /// The neutral format family this maps to, if any.
    public var checkpointFormat: CheckpointFormat? {
        switch self {
        case .safetensors: return .safetensors
        case .pytorchZip, .pytorchLegacy, .pickle: return .pytorch
        case .mindspore: return .mindspore
        case .numpy: return .numpy
        case .hdf5: return .hdf5
        case .onnx, .unknown: return nil
        }
    }
}

/// Recognises a checkpoint format from content, never from the file extension.
public enum FormatDetector {
    /// The legacy torch.save magic: PROTO 2, LONG1 of 10 bytes (0x1950a86a20f9469cfc6c), STOP.
    static let legacyTorchMagic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    /// Detects the format of `bytes` (a whole file).
    public static func detect(_ bytes: UnsafeRawBufferPointer) -> DetectedFormat {
        let n = bytes.count
        func starts(_ prefix: [UInt8]) -> Bool { n >= prefix.count && zip(bytes, prefix).allSatisfy { $0 == $1 } }
        if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) { return .pytorchZip }
        if starts(legacyTorchMagic) { return .pytorchLegacy }
        if starts([0x93] + Array("NUMPY".utf8)) { return .numpy }
        if starts([0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) { return .hdf5 }
        // safetensors: an 8-byte header length, then the JSON object. The length is not checked here, so a file
        // whose length is absurd reaches the safetensors reader and gets its specific error.
        if n >= 9, bytes[8] == UInt8(ascii: "{") { return .safetensors }
        if n >= 2, bytes[0] == 0x80, (2...5).contains(bytes[1]) { return .pickle }
        if ONNXFormat.looksLikeModel(bytes) { return .onnx }
        if looksLikeMindSporeRecord(bytes) || MindSporeFormat.looksEncrypted(bytes) || isBareCRCTrailer(bytes) {
            return .mindspore  // the MindSpore reader refuses encrypted files with a specific error
        }
        if looksLikeTextPickle(bytes) { return .pickle }
        return .unknown
    }

    /// Detects the format of the file at `path`.
    public static func detect(path: String) throws -> DetectedFormat {
        let f = try MappedFile(path: path)
        return detect(f.bytes)
    }

    /// A protocol 0/1 pickle has no PROTO opcode. It is recognised only where unambiguous: it ends with STOP (`.`)
    /// and opens with GLOBAL `c<module>\n<name>\n` (identifiers only), or with MARK / EMPTY_DICT / EMPTY_LIST /
    /// EMPTY_TUPLE followed by another opcode byte that protocols 0–1 use.
    static func looksLikeTextPickle(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let n = bytes.count
        guard n >= 3, bytes[n - 1] == UInt8(ascii: ".") else { return false }
        func isIdentifier(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2E
        }
        if bytes[0] == UInt8(ascii: "c") {
            var i = 1
            var lines = 0
            while i < min(n, 512), lines < 2 {
                let b = bytes[i]
                if b == 0x0A {
                    guard i > 1, bytes[i - 1] != 0x0A else { return false }
                    lines += 1
                } else if !isIdentifier(b) {
                    return false
                }
                i += 1
            }
            return lines == 2
        }
        let openers = Set("(}])".utf8)
        let followers = Set("(}])cVSILFNdltXKJMUTGhgpqaesu.0".utf8)
        return openers.contains(bytes[0]) && followers.contains(bytes[1])
    }

    /// An empty MindSpore checkpoint saved with `crc_check=True` is just the 17-byte `crc_num` trailer.
    private static func isBareCRCTrailer(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count == 17 && zip(bytes, Array("crc_num".utf8)).allSatisfy { $0 == $1 }
    }

    /// A MindSpore checkpoint starts with `0A <varint len> 0A <varint taglen> <tag>`: field 1 (value) of Checkpoint,
    /// whose first field is the string tag.
    private static func looksLikeMindSporeRecord(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var c = ByteCursor(bytes)
        guard c.readByte() == 0x0A, let len = c.readVarint(), len > 0, len <= UInt64(c.remaining) else { return false }
        guard c.readByte() == 0x0A, let tagLen = c.readVarint(), tagLen > 0, tagLen < len else { return false }
        return true
    }
}
