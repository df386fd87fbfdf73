/// Reusable scratch buffers for the forward pass (first-touch of fresh memory is slow here, so buffers are kept
/// between calls and only grow).
final class Workspace {
    private var buffers: [UnsafeMutablePointer<Float>] = []
    private var capacities: [Int] = []

    /// Buffer number `slot` with room for at least `count` floats (contents unspecified).
    func buffer(_ slot: Int, _ count: Int) -> UnsafeMutablePointer<Float> {
        while buffers.count <= slot {
            buffers.append(UnsafeMutablePointer<Float>.allocate(capacity: 16))
            capacities.append(16)
        }
        if capacities[slot] < count {
            buffers[slot].deallocate()
            buffers[slot] = UnsafeMutablePointer<Float>.allocate(capacity: count)
            capacities[slot] = count
        }
        return buffers[slot]
    }

    deinit { for b in buffers { b.deallocate() } }
}
