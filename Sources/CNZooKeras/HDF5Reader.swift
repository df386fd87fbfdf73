import CNZooCore
import CNZooKerasC

/// Reads the structure of an untrusted HDF5 file through libhdf5 without letting libhdf5 take cnzoo down.
///
/// Two layers: the superblock is checked in Swift first (`HDF5Superblock`: truncation, user blocks, odd offset
/// sizes), then libhdf5 walks the file **in a forked child process** (`cnzoo_h5_index_isolated`) under the bounds of
/// `HDF5Listing.limits` (depth, objects, rank, names, attributes, decoded bytes), an address-space limit and a
/// deadline. The listing comes back through a pipe; a crash, hang or memory blow-up inside libhdf5 becomes a
/// `CNZooError` that names the file, and the calling process is unaffected.
public enum HDF5Reader {
    /// The deadline for one walk: 10 s plus 1 s per 64 MiB of file (a Keras file's metadata walk takes milliseconds;
    /// a malformed file can send libhdf5 into a loop).
    static func timeoutMilliseconds(size: Int) -> Int32 { Int32(clamping: 10_000 + size / (64 << 20) * 1000) }

    /// Walks `image` (a whole HDF5 file) in a child process and returns its listing.
    public static func index(_ image: UnsafeRawBufferPointer, file: String?) throws -> HDF5Listing {
        _ = try HDF5Superblock(image).endOfFile
        var limits = HDF5Listing.limits(fileSize: image.count)
        var out = cnzoo_h5_buffer(bytes: nil, count: 0, capacity: 0)
        defer { cnzoo_h5_buffer_free(&out) }
        var detail: Int32 = 0
        let maxOutput = Limits.maxMaterializedTensorBytes + (64 << 20)
        let outcome = ForkGuard.forking {
            cnzoo_h5_index_isolated(image.baseAddress, image.count, &limits, timeoutMilliseconds(size: image.count),
                                    maxOutput, &out, &detail)
        }
        switch outcome {
        case CNZOO_H5_OK, CNZOO_H5_REFUSED:
            return try HDF5Listing(listing: UnsafeRawBufferPointer(start: out.bytes, count: out.count), file: file)
        case CNZOO_H5_CRASHED:
            throw CNZooError(.malformed, "libhdf5 crashed (signal \(detail)) while reading this file; the file is refused "
                             + "(the parse runs in a child process, so cnzoo itself is unaffected)", file: file)
        case CNZOO_H5_TIMED_OUT:
            throw CNZooError(.limitExceeded, "libhdf5 did not finish reading this file within "
                             + "\(timeoutMilliseconds(size: image.count) / 1000) s; the file is refused", file: file)
        case CNZOO_H5_OVERSIZED:
            throw Limits.exceeded("maxMaterializedTensorBytes", Limits.maxMaterializedTensorBytes,
                                  "data decoded by libhdf5", file: file)
        case CNZOO_H5_BAD_EXIT:
            throw CNZooError(.malformed, "the libhdf5 reader process exited with status \(detail)", file: file)
        default:
            throw CNZooError(.io, "cannot run the libhdf5 reader process (errno \(detail))", file: file)
        }
    }

    /// Walks `image` in this process (no fork): for fuzz harnesses, which want libhdf5 and cnzoo's bounds under
    /// the sanitizer in one address space. Everything else uses `index`.
    public static func indexInProcess(_ image: UnsafeRawBufferPointer) throws -> HDF5Listing {
        _ = try HDF5Superblock(image).endOfFile
        var limits = HDF5Listing.limits(fileSize: image.count)
        var out = cnzoo_h5_buffer(bytes: nil, count: 0, capacity: 0)
        defer { cnzoo_h5_buffer_free(&out) }
        cnzoo_h5_lock()
        _ = cnzoo_h5_index(image.baseAddress, image.count, &limits, &out)
        cnzoo_h5_unlock()
        return try HDF5Listing(listing: UnsafeRawBufferPointer(start: out.bytes, count: out.count), file: nil)
    }

    /// The tensor for one listed dataset: a lazy range of `file` (the HDF5 image starts at `base` in it, `imageSize`
    /// bytes long) for contiguous data, the decoded bytes otherwise. Big-endian data is swapped lazily.
    static func tensor(_ d: HDF5Listing.Dataset, name: String, file: MappedFile, base: Int, imageSize: Int) throws -> TensorEntry {
        guard let byteCount = Checked.byteCount(d.shape, d.dtype) else {
            throw CNZooError(.limitExceeded, "shape \(d.shape) overflows", file: file.path, tensor: name)
        }
        var data: TensorData
        if let bytes = d.bytes {
            guard bytes.count == byteCount else {
                throw CNZooError(.malformed, "libhdf5 decoded \(bytes.count) bytes, expected \(byteCount)", file: file.path,
                                 tensor: name)
            }
            data = .bytes(bytes)
        } else if byteCount == 0 {
            data = .bytes([])
        } else {
            guard d.layout == 1, let off = d.offset else {
                throw CNZooError(.malformed, "dataset has no stored data", file: file.path, tensor: name)
            }
            guard d.storageBytes == byteCount, let end = Checked.add(off, byteCount), end <= imageSize else {
                throw CNZooError(.truncated, "dataset data \(off)..<\(off + byteCount) (\(d.storageBytes) stored) lies "
                                 + "outside the HDF5 file of \(imageSize) bytes", file: file.path, tensor: name,
                                 offset: base + off)
            }
            data = .file(file, (base + off)..<(base + end))
        }
        if d.bigEndian, let width = d.dtype.byteWidth, width > 1 {
            let source = data
            data = TensorData(.computed {
                var b = try source.readAll()
                for i in stride(from: 0, to: b.count, by: width) { b[i..<(i + width)].reverse() }
                return b
            }, byteCount: byteCount)
        }
        return TensorEntry(name: name, dtype: d.dtype, shape: d.shape, data: data)
    }
}
