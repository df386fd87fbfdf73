import CNZooCore
import CNZooFormats
import CNZooFuzzHarnesses
import CNZooTestSupport
import Foundation
import Testing

/// Hostile HDF5 through the path every command takes (`CheckpointIO.read`, then every tensor byte touched): files
/// truncated at every byte, truncated files whose superblock is patched to agree (so libhdf5 itself walks the cut
/// structure), 1,000+ bit-flip mutants of small Keras files, and HDF5 features cnzoo refuses (written by h5py).
/// libhdf5 runs in a child process, so a crash inside it is a refusal here, never a crash of the test process.
@Suite(.serialized) struct KerasHostileTests {
    static let small = ["keras/small.weights.h5", "keras/small_legacy.h5"]

    enum Outcome: Equatable { case read(Int), refused(String) }

    static func read(_ bytes: [UInt8]) -> Outcome {
        do {
            let file = bytes.withUnsafeBytes { MappedFile(copying: $0, path: "<mutant>") }
            let (ckpt, _) = try CheckpointIO.read(file: file)
            Harnesses.touchAll(ckpt)
            return .read(ckpt.tensors.count)
        } catch let e as CNZooError {
            return .refused(e.message)
        } catch {
            Issue.record("a non-CNZooError escaped: \(error)")
            return .refused("\(error)")
        }
    }

    @Test(.timeLimit(.minutes(3))) func truncationAtEveryByteIsRefused() throws {
        for relative in Self.small {
            let bytes = try TestSupport.readFile(TestSupport.fixture(relative))
            #expect(Self.read(bytes) == .read(4))
            for n in 0..<bytes.count {
                if case .read = Self.read(Array(bytes[..<n])) {
                    Issue.record("\(relative) truncated to \(n) of \(bytes.count) bytes was read")
                }
            }
        }
    }

    /// The superblock's end-of-file address (v0, byte 40) set to the cut length: the truncation reaches libhdf5.
    @Test(.timeLimit(.minutes(5))) func truncationBehindAPatchedSuperblockNeverCrashes() throws {
        for relative in Self.small {
            let bytes = try TestSupport.readFile(TestSupport.fixture(relative))
            #expect(bytes[8] == 0, "\(relative): expected a version-0 superblock")
            var refused = 0, read = 0, crashes = 0
            for n in stride(from: 48, to: bytes.count, by: 16) {
                var cut = Array(bytes[..<n])
                for i in 0..<8 { cut[40 + i] = UInt8(truncatingIfNeeded: UInt64(n) >> (8 * UInt64(i))) }
                switch Self.read(cut) {
                case .read: read += 1
                case let .refused(m):
                    refused += 1
                    if m.contains("libhdf5 crashed") { crashes += 1 }
                }
            }
            print("\(relative): \(refused + read) patched truncations, \(refused) refused (\(crashes) libhdf5 crashes "
                  + "contained in the child), \(read) read")
            #expect(refused > 0)
        }
    }

    @Test(.timeLimit(.minutes(5))) func thousandBitFlipMutantsNeverCrash() throws {
        var rng = SplitMix64(state: 0x6B65_7261_7321)
        let originals = try Self.small.map { try TestSupport.readFile(TestSupport.fixture($0)) }
        var refused = 0, crashes = 0, timeouts = 0
        let mutants = 1_000
        for i in 0..<mutants {
            var b = originals[i % originals.count]
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let bit = Int.random(in: 0..<(b.count * 8), using: &rng)
                b[bit / 8] ^= UInt8(1 << (bit % 8))
            }
            if case let .refused(m) = Self.read(b) {
                refused += 1
                if m.contains("libhdf5 crashed") { crashes += 1 }
                if m.contains("did not finish") { timeouts += 1 }
            }
        }
        print("keras: \(mutants) bit-flip mutants, \(refused) refused (\(crashes) libhdf5 crashes and \(timeouts) "
              + "timeouts contained in the child), \(mutants - refused) read")
        #expect(refused > 0)
    }

    /// Each hostile file is refused, with the reason `expected.json` names.
    @Test func hostileHDF5FeaturesAreRefused() throws {
        let dir = TestSupport.fixture("keras/hostile")
        let expected = try JSONDecoder().decode([String: String].self,
                                                from: Data(contentsOf: URL(fileURLWithPath: dir + "/expected.json")))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".h5") }
        #expect(Set(files) == Set(expected.keys))
        for (name, reason) in expected.sorted(by: { $0.key < $1.key }) {
            do {
                _ = try CheckpointIO.read(path: dir + "/" + name)
                Issue.record("\(name) was read")
            } catch let e as CNZooError {
                #expect(e.message.contains(reason), "\(name): \(e.message)")
                #expect(e.file == dir + "/" + name)
            }
        }
    }

    /// Inputs that crash libhdf5 in-process (found by the `hdf5` fuzz harness): refused, and this process survives.
    @Test func libhdf5CrashersAreContained() throws {
        let dir = TestSupport.fixture("keras/libhdf5-crashers")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".h5") }.sorted()
        #expect(files.count >= 3)
        for name in files {
            do {
                _ = try CheckpointIO.read(path: dir + "/" + name)
                Issue.record("\(name) was read")
            } catch let e as CNZooError {
                print("\(name): \(e.code): \(e.message)")
                #expect(e.file == dir + "/" + name)
            }
            // The CLI says it in one line: the child dies by the signal without the Swift crash reporter's backtrace.
            let r = try TestSupport.run(["inspect", dir + "/" + name])
            #expect(r.status != 0 && r.stderr.contains(name), "\(name): \(r.stderr)")
            #expect(!r.stderr.contains("Backtracing") && !r.stderr.contains("Program crashed"), "\(name): \(r.stderr)")
        }
    }
}
