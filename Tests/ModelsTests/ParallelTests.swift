@testable import CNZooModels
import Foundation
import Synchronization
import Testing

/// An atomic counter a closure can share (`Atomic` itself cannot be copied into arrays or captures).
private final class Counter: Sendable {
    let value = Atomic<Int>(0)
    func add() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

/// The worker pool under the forward pass's loops (`cnz_parallel_for` through `Parallel`).
@Suite struct ParallelTests {
    /// Every task runs exactly once, over many jobs of every shape in a row (workers joining late, finding no task
    /// left, or sleeping between jobs), and no two tasks with the same thread number ever overlap.
    @Test func everyTaskRunsOnceAndThreadNumbersAreExclusive() {
        for (threads, tasks) in [(2, 1), (2, 2), (2, 7), (3, 64), (4, 3), (8, 100), (1, 5), (2, 0)] {
            for job in 0..<200 {
                let runs = (0..<tasks).map { _ in Counter() }
                let busy = (0..<threads).map { _ in Counter() }  // tasks running with each thread number
                let clashes = Counter(), outOfRange = Counter()
                Parallel.forEach(tasks, threads: threads) { task, thread in
                    guard thread >= 0 && thread < threads else { return outOfRange.add() }
                    if busy[thread].value.add(1, ordering: .acquiringAndReleasing).newValue != 1 { clashes.add() }
                    if task % 5 == 0 { for _ in 0..<(task * 50) { _ = busy[thread].count } }
                    runs[task].add()
                    busy[thread].value.subtract(1, ordering: .acquiringAndReleasing)
                }
                let counts = runs.map(\.count)
                #expect(counts.allSatisfy { $0 == 1 }, "threads \(threads) tasks \(tasks) job \(job): runs \(counts)")
                #expect(clashes.count == 0 && outOfRange.count == 0)
                if job == 100 { usleep(3000) }  // past the workers' spin time: they sleep and must wake
            }
        }
    }

    /// Jobs from two threads at once both finish with every task done (the second runs on its own thread while the
    /// first holds the pool), and a loop inside a task runs inline.
    @Test func concurrentAndNestedJobsComplete() {
        let total = Counter()
        DispatchQueue.concurrentPerform(iterations: 4) { caller in
            for _ in 0..<100 {
                Parallel.forEach(6, threads: 2) { _, _ in
                    Parallel.forEach(3, threads: 2) { _, thread in
                        #expect(thread == 0)  // nested: inline on the task's own thread
                        total.add()
                    }
                }
            }
            _ = caller
        }
        #expect(total.count == 4 * 100 * 6 * 3)
    }

    /// `split` covers `0..<count` with `parts` contiguous, non-overlapping slices.
    @Test func splitCoversTheRangeOnce() {
        for (count, parts) in [(10, 3), (3, 8), (1000, 7), (1, 1)] {
            let hits = (0..<count).map { _ in Counter() }
            let slices = Counter()
            Parallel.split(count, parts: parts, threads: 2) { r in
                slices.add()
                for i in r { hits[i].add() }
            }
            #expect(hits.allSatisfy { $0.count == 1 })
            #expect(slices.count == min(parts, count))
        }
    }
}
