import CNZooCore

/// NumPy `.npy` files (format versions 1.0, 2.0 and 3.0): the magic `\x93NUMPY`, a version, a little-endian header
/// length (2 bytes in 1.0, 4 in 2.0/3.0), a Python-literal dict header `{'descr': …, 'fortran_order': …,
/// 'shape': (…), }` padded with spaces to a multiple of 64 bytes and ended by a newline, then the raw array data.
///
/// cnzoo reads and writes little-endian (or byte-order-free) numeric arrays in C order. Big-endian data, Fortran
/// order, structured or object dtypes are refused with a clear error.
public enum NumPyFormat {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Reads an array from a whole `.npy` file (mapped, zero copy).
    public static func read(path: String) throws -> NumPyArray {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch { throw CNZooError.wrap(error, file: path) }
        do {
            let (dtype, shape, dataOffset) = try parseHeader(file.bytes)
            let needed = try dataByteCount(dtype: dtype, shape: shape)
            let available = file.size - dataOffset
            guard available >= needed else {
                throw CNZooError(.truncated, "array data is \(available) bytes, expected \(needed) for shape \(shape) \(dtype.numpyDescr ?? dtype.rawValue)",
                                 offset: dataOffset)
            }
            guard available == needed else {
                throw CNZooError(.malformed, "\(available - needed) unexpected bytes after the array data", offset: dataOffset + needed)
            }
            return NumPyArray(dtype: dtype, shape: shape, data: .file(file, dataOffset..<(dataOffset + needed)))
        } catch let e as CNZooError {
            throw e.inFile(path)
        }
    }

    /// Reads an array from bytes already in memory.
    public static func read(bytes: [UInt8]) throws -> NumPyArray {
        let (dtype, shape, offset) = try bytes.withUnsafeBytes { try parseHeader($0) }
        let needed = try dataByteCount(dtype: dtype, shape: shape)
        guard bytes.count - offset >= needed else {
            throw CNZooError(.truncated, "array data is \(bytes.count - offset) bytes, expected \(needed)", offset: offset)
        }
        guard bytes.count - offset == needed else {
            throw CNZooError(.malformed, "\(bytes.count - offset - needed) unexpected bytes after the array data", offset: offset + needed)
        }
        return NumPyArray(dtype: dtype, shape: shape, data: .bytes(Array(bytes[offset...])))
    }

    /// The `.npy` bytes of `array`: a version 1.0 header (2.0 if the header would not fit in 65535 bytes).
    public static func encode(_ array: NumPyArray) throws -> [UInt8] {
        var out = try header(for: array)
        out.reserveCapacity(out.count + array.data.byteCount)
        try array.data.forEachChunk { out.append(contentsOf: $0) }
        return out
    }

    /// Writes `array` to `path` atomically.
    public static func write(_ array: NumPyArray, to path: String, overwrite: Bool) throws {
        let w = try AtomicFileWriter(path: path, overwrite: overwrite)
        try w.write(try header(for: array))
        try w.write(array.data)
        try w.commit()
    }

    /// The header bytes (magic through the newline) for `array`.
    static func header(for array: NumPyArray) throws -> [UInt8] {
        guard let descr = array.dtype.numpyDescr else {
            throw CNZooError(.unsupported, "NumPy has no dtype for \(array.dtype) (bfloat16); widen it to float32 first")
        }
        let needed = try dataByteCount(dtype: array.dtype, shape: array.shape)
        guard array.data.byteCount == needed else {
            throw CNZooError(.malformed, "array data is \(array.data.byteCount) bytes, expected \(needed) for shape \(array.shape)")
        }
        let shapeText: String
        switch array.shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(array.shape[0]),)"
        default: shapeText = "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
        }
        let dict = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }".utf8)
        for version: UInt8 in [1, 2] {
            let prefix = magic.count + 2 + (version == 1 ? 2 : 4)
            let unpadded = prefix + dict.count + 1
            let total = (unpadded + 63) / 64 * 64
            let headerLength = total - prefix
            if version == 1 && headerLength > Int(UInt16.max) { continue }
            var out = magic + [version, 0]
            if version == 1 {
                out += [UInt8(headerLength & 0xFF), UInt8(headerLength >> 8)]
            } else {
                out += (0..<4).map { UInt8((headerLength >> (8 * $0)) & 0xFF) }
            }
            out += dict
            out += [UInt8](repeating: 0x20, count: total - unpadded)
            out.append(0x0A)
            return out
        }
        throw Limits.exceeded("maxNpyHeaderBytes", Limits.maxNpyHeaderBytes, ".npy header")
    }

    static func dataByteCount(dtype: DType, shape: [Int]) throws -> Int {
        guard shape.count <= Limits.maxRank else {
            throw Limits.exceeded("maxRank", Limits.maxRank, "array rank \(shape.count)")
        }
        guard let n = Checked.byteCount(shape, dtype) else {
            throw CNZooError(.malformed, "shape \(shape) of \(dtype) overflows the address space")
        }
        return n
    }

    /// Parses the preamble and header dict; returns the dtype, shape and the offset of the array data.
    static func parseHeader(_ bytes: UnsafeRawBufferPointer) throws -> (DType, [Int], Int) {
        let (descr, fortran, shape, offset, headerOffset) = try parseRawHeader(bytes)
        if descr.hasPrefix(">") {
            throw CNZooError(.unsupported, "big-endian dtype '\(descr)'; cnzoo reads little-endian arrays", offset: headerOffset)
        }
        if isObject(descr) {
            throw CNZooError(.unsupported, "object dtype '\(descr)': the array data is a pickle, which "
                             + "numpy.load(allow_pickle=True) would run; cnzoo reads numeric arrays only (`cnzoo scan` "
                             + "shows what the pickle would do)", offset: headerOffset)
        }
        guard let dtype = DType(numpyDescr: descr) else {
            throw CNZooError(.unsupported, "dtype '\(descr)' (expected a numeric descr such as '<f4')", offset: headerOffset)
        }
        if fortran {
            throw CNZooError(.unsupported, "Fortran-order arrays; save with np.ascontiguousarray first", offset: headerOffset)
        }
        return (dtype, shape, offset)
    }

    /// Whether a descr is NumPy's object dtype (`|O`, `O`, `<O`, `|O8`…): the data is a pickle.
    static func isObject(_ descr: String) -> Bool {
        let d = descr.drop { "|<>=".contains($0) }
        return d == "O" || d.hasPrefix("O") && d.dropFirst().allSatisfy(\.isNumber)
    }

    /// Where the pickle of an object-dtype `.npy` starts, or nil for any other dtype (a header that cannot be
    /// parsed throws, naming the offset).
    public static func objectPickleOffset(_ bytes: UnsafeRawBufferPointer) throws -> Int? {
        let (descr, _, _, offset, _) = try parseRawHeader(bytes)
        return isObject(descr) ? offset : nil
    }

    /// The header fields as written: descr, fortran_order, shape, data offset, header offset.
    static func parseRawHeader(_ bytes: UnsafeRawBufferPointer) throws -> (String, Bool, [Int], Int, Int) {
        var c = ByteCursor(bytes)
        guard let m = c.readBytes(magic.count) else {
            throw CNZooError(.truncated, "file is \(bytes.count) bytes, too short for the .npy magic", offset: 0)
        }
        guard Array(m) == magic else {
            throw CNZooError(.unknownFormat, "not a .npy file: expected the magic \\x93NUMPY", offset: 0)
        }
        guard let major = c.readByte(), let minor = c.readByte() else {
            throw CNZooError(.truncated, "file ends inside the .npy version", offset: c.fileOffset)
        }
        let headerLength: Int
        switch major {
        case 1:
            guard let n = c.readLE(UInt16.self) else { throw CNZooError(.truncated, "file ends inside the header length", offset: c.fileOffset) }
            headerLength = Int(n)
        case 2, 3:
            guard let n = c.readLE(UInt32.self) else { throw CNZooError(.truncated, "file ends inside the header length", offset: c.fileOffset) }
            headerLength = Int(n)
        default:
            throw CNZooError(.unsupported, ".npy format version \(major).\(minor) (expected 1.0, 2.0 or 3.0)", offset: magic.count)
        }
        guard headerLength <= Limits.maxNpyHeaderBytes else {
            throw Limits.exceeded("maxNpyHeaderBytes", Limits.maxNpyHeaderBytes, ".npy header of \(headerLength) bytes",
                                  offset: c.fileOffset)
        }
        let headerOffset = c.fileOffset
        guard let raw = c.readBytes(headerLength) else {
            throw CNZooError(.truncated, "header is \(headerLength) bytes but only \(c.remaining) remain", offset: headerOffset)
        }
        // 1.0/2.0 headers are latin-1 (in practice ASCII); 3.0 allows UTF-8. The fields cnzoo reads are ASCII.
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw CNZooError(.malformed, "header is not valid text", offset: headerOffset)
        }
        let fields = try HeaderDict.parse(text, offset: headerOffset)
        guard case let .string(descr)? = fields["descr"] else {
            throw CNZooError(.malformed, "header has no string 'descr' key", offset: headerOffset)
        }
        guard case let .bool(fortran)? = fields["fortran_order"] else {
            throw CNZooError(.malformed, "header has no boolean 'fortran_order' key", offset: headerOffset)
        }
        guard case let .tuple(shape)? = fields["shape"] else {
            throw CNZooError(.malformed, "header has no tuple 'shape' key", offset: headerOffset)
        }
        if let extra = fields.keys.first(where: { !["descr", "fortran_order", "shape"].contains($0) }) {
            throw CNZooError(.malformed, "header has an unexpected key '\(extra)'", offset: headerOffset)
        }
        return (descr, fortran, shape, c.position, headerOffset)
    }
}
