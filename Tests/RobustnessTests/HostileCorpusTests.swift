import CNZooCore
import CNZooFormats
import CNZooNumPy
import CNZooPyTorch
import CNZooTestSupport
import Foundation
import Testing

/// The hostile-input corpus (Fixtures/hostile/, written by Fixtures/generate_hostile.py): every file must be refused
/// with its specific error code and message, in bounded time and memory, and no payload may ever run.
///
/// Bounds (each file, `cnzoo inspect` in a child process, measured by the kernel's rusage via /usr/bin/time):
///   CPU time < 1 s, peak RSS < 64 MiB above `cnzoo inspect` of a valid 4-tensor file.
@Suite(.serialized) struct HostileCorpusTests {
    /// `code` and `fragment` are nil for the few files that must be read (quickly), not refused.
    struct Expectation {
        let file: String
        let code: String?
        let fragment: String?
    }

    static let cpuBoundSeconds = 1.0
    static let extraRSSBoundBytes = 64 << 20

    static let manifest: (marker: String, files: [Expectation]) = {
        let path = TestSupport.fixture("hostile/expected.json")
        guard let data = FileManager.default.contents(atPath: path),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let marker = root["marker"] as? String, let files = root["files"] as? [String: [String: Any]] else {
            return ("", [])
        }
        let list = files.map { name, e in
            Expectation(file: name, code: e["code"] as? String, fragment: e["fragment"] as? String)
        }
        return (marker, list.sorted { $0.file < $1.file })
    }()

    static func path(_ file: String) -> String { TestSupport.fixture("hostile/" + file) }

    @Test func manifestCoversEveryFile() throws {
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: TestSupport.fixture("hostile"))
            .filter { $0 != "expected.json" }.sorted()
        #expect(Self.manifest.files.count >= 60)
        #expect(onDisk == Self.manifest.files.map(\.file))
    }

    @Test func everyHostileFileIsRefusedWithItsSpecificError() throws {
        try? FileManager.default.removeItem(atPath: Self.manifest.marker)
        for e in Self.manifest.files {
            do {
                if e.file.hasSuffix(".npy") {  // CheckpointIO does not read .npy; NumPyFormat is its reader
                    let a = try NumPyFormat.read(path: Self.path(e.file))
                    Issue.record("\(e.file) was read as an array of shape \(a.shape); expected \(e.code)")
                } else {
                    let (ckpt, format) = try CheckpointIO.read(path: Self.path(e.file))
                    if let code = e.code {
                        Issue.record("\(e.file) was read as \(format) with \(ckpt.tensors.count) tensors; expected \(code)")
                    }
                }
            } catch let error as CNZooError {
                #expect(error.code.rawValue == e.code, "\(e.file): \(error)")
                #expect(error.message.contains(e.fragment ?? "\u{0}"), "\(e.file): '\(error.message)' lacks '\(e.fragment ?? "")'")
                #expect(error.file == Self.path(e.file), "\(e.file): the error does not name the file")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: Self.manifest.marker), "a payload ran")
    }

    /// The bare pickles also go through the scanner, which must see the danger without running anything.
    @Test func scannerFlagsEveryCodeExecutionPickle() throws {
        for e in Self.manifest.files where e.code == "unsafe" {
            let report = try PyTorchFormat.scan(path: Self.path(e.file))
            #expect(!report.isClean, "\(e.file): scan found nothing")
        }
        #expect(!FileManager.default.fileExists(atPath: Self.manifest.marker), "a payload ran")
    }

    /// `many_items_list.pkl` is refused only because it is not a state dict: the pickle itself (200,000 items in one
    /// list) must run, so the limits are not so tight that real files fail.
    @Test func largeValidPickleRunsWithinLimits() throws {
        let bytes = try TestSupport.readFile(Self.path("many_items_list.pkl"))
        try bytes.withUnsafeBytes { raw in
            let m = PickleMachine(raw)
            let root = try m.run()
            guard case let .list(i) = root else { Issue.record("root is \(root.kind)"); return }
            #expect(m.arena.lists[i].count == 200_000)
        }
    }

    /// End to end through the binary, measuring each child: exit code as documented (1 unsafe, 2 input error),
    /// the specific message on stderr, CPU time and peak RSS within the stated bounds.
    @Test(.enabled(if: MeasuredRun.available, "needs /usr/bin/time to measure one process's peak RSS"))
    func endToEndBoundedTimeAndMemory() throws {
        let baseline = try MeasuredRun.cnzoo(["inspect", TestSupport.fixture("safetensors/dtypes.safetensors")])
        #expect(baseline.exitStatus == 0, "\(baseline.stderr)")
        var worstCPU = (0.0, ""), worstRSS = (baseline.maxRSSBytes, "")
        // .npy files are skipped here: `cnzoo inspect` reads checkpoints, not arrays (they are covered in process).
        for e in Self.manifest.files where !e.file.hasSuffix(".npy") {
            let run = try MeasuredRun.cnzoo(["inspect", Self.path(e.file)])
            #expect(run.signal == 0, "\(e.file): killed by signal \(run.signal)")
            #expect(run.exitStatus == (e.code == nil ? 0 : e.code == "unsafe" ? 1 : 2), "\(e.file): exit \(run.exitStatus) \(run.stderr)")
            if let fragment = e.fragment { #expect(run.stderr.contains(fragment), "\(e.file): \(run.stderr)") }
            #expect(run.cpuSeconds < Self.cpuBoundSeconds, "\(e.file): \(run.cpuSeconds) s CPU")
            #expect(run.maxRSSBytes - baseline.maxRSSBytes < Self.extraRSSBoundBytes,
                    "\(e.file): peak RSS \(run.maxRSSBytes >> 20) MiB vs baseline \(baseline.maxRSSBytes >> 20) MiB")
            if run.cpuSeconds > worstCPU.0 { worstCPU = (run.cpuSeconds, e.file) }
            if run.maxRSSBytes > worstRSS.0 { worstRSS = (run.maxRSSBytes, e.file) }
        }
        print("hostile corpus: \(Self.manifest.files.count) files, worst CPU \(worstCPU.0) s (\(worstCPU.1)), worst peak RSS \(worstRSS.0 >> 10) KiB (\(worstRSS.1); baseline \(baseline.maxRSSBytes >> 10) KiB)")
        #expect(!FileManager.default.fileExists(atPath: Self.manifest.marker), "a payload ran")
    }

    /// `cnzoo scan` exits 1 on the code-execution pickles, end to end.
    @Test func scanCommandExitsOneOnPayloads() throws {
        for file in ["reduce_os_system.pth", "stack_global_memo.pkl", "memo_swap.pth", "build_slotstate_setstate.pth",
                     "proto0_os_system.pkl", "imports_picklescan.pth"] {
            let r = try TestSupport.run(["scan", Self.path(file)])
            #expect(r.status == 1, "\(file): scan exit \(r.status)\n\(r.stdout)\(r.stderr)")
            #expect(r.stdout.contains("executed nothing"), "\(file): \(r.stdout)")
        }
        #expect(!FileManager.default.fileExists(atPath: Self.manifest.marker), "a payload ran")
    }
}
