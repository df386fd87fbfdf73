#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reusable scratch buffers for the forward pass (first-touch of fresh memory is slow here, so buffers are kept
/// between calls and only grow).
///
/// Buffers of 2 MiB or more start on a 2 MiB boundary and, on Linux, are offered to transparent huge pages
/// (`madvise(MADV_HUGEPAGE)`; the kernel's default "madvise" mode gives huge pages only to memory that asks). The
/// kernels walk activations with strides of kilobytes — a 768-channel NHWC pixel is 3 KiB, a depthwise conv or a
/// GEMM register block touches a new 4 KiB page at every step — and with 4 KiB pages those walks miss the TLB:
/// ConvMixer-768/32's depthwise convs took 50 → 31 ms per image at 2 threads with huge pages (docs/benchmarks.md).
final class Workspace {
    private var buffers: [UnsafeMutablePointer<Float>] = []
    private var capacities: [Int] = []

    /// Buffer number `slot` with room for at least `count` floats (contents unspecified).
    func buffer(_ slot: Int, _ count: Int) -> UnsafeMutablePointer<Float> {
        while buffers.count <= slot {
            buffers.append(Self.allocate(16))
            capacities.append(16)
        }
        if capacities[slot] < count {
            free(buffers[slot])
            buffers[slot] = Self.allocate(count)
            capacities[slot] = count
        }
        return buffers[slot]
    }

    /// Bytes from which a buffer is aligned to, and offered as, huge pages.
    static let hugePage = 1 << 21

    /// `count` floats from `posix_memalign` (released with `free`): 64-byte aligned, or 2 MiB aligned and rounded up
    /// to whole huge pages from `hugePage` bytes on.
    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let bytes = max(1, count) * MemoryLayout<Float>.stride
        let huge = bytes >= hugePage
        let size = huge ? (bytes + hugePage - 1) / hugePage * hugePage : bytes
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, huge ? hugePage : 64, size) == 0, let raw else {
            fatalError("out of memory: a forward-pass buffer of \(size) bytes")
        }
        #if os(Linux)
        if huge { _ = madvise(raw, size, MADV_HUGEPAGE) }  // advice only: without huge pages it runs as before
        #endif
        return raw.bindMemory(to: Float.self, capacity: count)
    }

    deinit { for b in buffers { free(b) } }
}
