import CNZooFuzzHarnesses
import CNZooTestSupport
import Foundation
import Testing

/// Replays what the fuzzers found and what they start from: every saved crasher in `Fixtures/fuzz-crashers/<harness>/`
/// and every fixture file goes through every harness. A crash here fails the whole test process, so passing means
/// none of these inputs crashes any reader.
@Suite struct FuzzRegressionTests {
    static func files(under relative: String) -> [String] {
        let root = TestSupport.fixture(relative)
        guard let e = FileManager.default.enumerator(atPath: root) else { return [] }
        return e.compactMap { $0 as? String }.map { root + "/" + $0 }.filter {
            var dir: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &dir) && !dir.boolValue
        }.sorted()
    }

    @Test func harnessesExistForEveryReader() {
        for name in ["json", "safetensors", "safetensors-read", "detect", "pickle", "zip", "pth", "ckpt", "npy", "checkpoint", "hdf5",
                     "zip-diff"] {
            #expect(Harnesses.all[name] != nil, "missing harness \(name)")
        }
    }

    @Test func savedCrashersNoLongerCrash() throws {
        let crashers = Self.files(under: "fuzz-crashers")
        for path in crashers {
            let harness = URL(fileURLWithPath: path).deletingLastPathComponent().lastPathComponent
            let run = try #require(Harnesses.all[harness], "crasher \(path) is filed under an unknown harness")
            try TestSupport.readFile(path).withUnsafeBytes { run($0) }
        }
    }

    @Test func everyFixtureThroughEveryHarness() throws {
        // libhdf5-crashers crash libhdf5 itself in-process by design (cnzoo runs it in a child; KerasHostileTests).
        let fixtures = Self.files(under: "").filter {
            !$0.hasSuffix(".py") && !$0.contains("/fuzz-crashers/") && !$0.contains("/libhdf5-crashers/")
        }
        #expect(!fixtures.isEmpty)
        for path in fixtures {
            let bytes = try TestSupport.readFile(path)
            guard bytes.count <= 4 << 20 else { continue }
            for (_, run) in Harnesses.all { bytes.withUnsafeBytes { run($0) } }
        }
    }
}
