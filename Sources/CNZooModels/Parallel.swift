import CNZooParallelC

/// Runs loops of independent tasks on cnzoo's worker pool (`cnz_parallel_for`: persistent threads that spin briefly
/// between jobs, so the many short loops of a forward pass do not each pay a thread wake-up).
enum Parallel {
    /// Calls `body(task, thread)` for every task in `0..<tasks` over at most `threads` threads (the caller is thread
    /// 0); each thread claims the next unclaimed task, so faster threads take more. Two calls with the same `thread`
    /// never overlap, so a task may use per-thread scratch space. Returns when every call has returned.
    static func forEach(_ tasks: Int, threads: Int, _ body: (_ task: Int, _ thread: Int) -> Void) {
        guard tasks > 0 else { return }
        if threads <= 1 || tasks == 1 { return (0..<tasks).forEach { body($0, 0) } }
        withoutActuallyEscaping(body) { body in
            var task = body
            withUnsafeMutablePointer(to: &task) { ctx in
                cnz_parallel_for(Int32(threads), Int32(tasks), { ctx, t, thread in
                    ctx!.assumingMemoryBound(to: ((Int, Int) -> Void).self).pointee(Int(t), Int(thread))
                }, ctx)
            }
        }
    }

    /// Calls `body(task)` for every task in `0..<tasks` over at most `threads` threads (see the other `forEach`).
    static func forEach(_ tasks: Int, threads: Int, _ body: (_ task: Int) -> Void) {
        forEach(tasks, threads: threads) { task, _ in body(task) }
    }

    /// Calls `body` on contiguous slices of `0..<count`, `parts` slices of near-equal size, concurrently over
    /// `threads` threads (default: one per slice).
    static func split(_ count: Int, parts: Int, threads: Int? = nil, _ body: (Range<Int>) -> Void) {
        let p = max(1, min(parts, count))
        forEach(p, threads: threads ?? p) { i in body((count * i / p)..<(count * (i + 1) / p)) }
    }
}
