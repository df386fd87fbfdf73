import CNZooCore
import CNZooFormats
import CNZooModels
import CNZooTestSupport
import Foundation
import Testing

/// The libhdf5 walk forks; OpenBLAS's fork handler used to deadlock with a BLAS call in flight on another thread
/// (seen as a hung `swift test`: a Keras read beside an OpenBLAS-engine forward test). `ForkGuard` keeps the two
/// apart: here both run at once, many times, and must finish.
@Suite struct ForkGuardTests {
    @Test(.timeLimit(.minutes(2))) func kerasReadsBesideOpenBLASCallsFinish() async throws {
        Gemm.setThreads(2)
        let path = TestSupport.fixture("keras/small.weights.h5")
        try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                var reads = 0
                for _ in 0..<40 {
                    reads += try CheckpointIO.read(path: path).0.tensors.isEmpty ? 0 : 1
                }
                return reads
            }
            group.addTask {
                let n = 96
                let a = [Float](repeating: 0.5, count: n * n), w = [Float](repeating: 0.25, count: n * n)
                var c = [Float](repeating: 0, count: n * n)
                for _ in 0..<400 {
                    a.withUnsafeBufferPointer { ap in
                        w.withUnsafeBufferPointer { wp in
                            c.withUnsafeMutableBufferPointer { cp in
                                Gemm.linear(ap.baseAddress!, wp.baseAddress!, cp.baseAddress!, m: n, n: n, k: n)
                            }
                        }
                    }
                }
                return c[0] == Float(n) * 0.125 ? 1 : 0
            }
            var results: [Int] = []
            for try await r in group { results.append(r) }
            #expect(results.sorted() == [1, 40])
        }
    }
}
