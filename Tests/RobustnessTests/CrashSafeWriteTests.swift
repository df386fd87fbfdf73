import CNZooCore
import CNZooFormats
import CNZooMapping
import CNZooSafeTensors
import CNZooTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Crash-safe output, end to end through the binary: a large conversion interrupted mid-write (SIGINT, SIGKILL)
/// leaves the target absent or complete, never partial; SIGINT leaves no temporary file; unwritable directories and
/// a full disk give clear errors (exit 3); an existing output is never replaced without --force.
@Suite(.serialized) struct CrashSafeWriteTests {
    /// A ConvNeXt-S state dict with canonical names: 50.2 M f32 parameters ≈ 200 MB, written by cnzoo's own
    /// safetensors writer (tensor bytes computed on the fly, so the test process stays small).
    static func writeLargeInput(to path: String) throws -> Int {
        let spec = try #require(ConvNeXtSpec.variant("small"))
        let tensors = spec.parameters().enumerated().map { i, p -> TensorEntry in
            let n = p.elementCount * 4
            return TensorEntry(name: p.name, dtype: .f32, shape: p.shape,
                               data: TensorData(.computed { [UInt8](repeating: UInt8(truncatingIfNeeded: i * 7 + 1), count: n) },
                                                byteCount: n))
        }
        try SafeTensors.write(Checkpoint(tensors: tensors), to: path, options: WriteOptions())
        return tensors.count
    }

    /// Temporary files AtomicFileWriter leaves next to `target` (`.<name>.cnzoo-tmp-XXXXXX`).
    static func temporaries(of target: String) -> [String] {
        let dir = (target as NSString).deletingLastPathComponent
        let base = (target as NSString).lastPathComponent
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasPrefix(".\(base).cnzoo-tmp-") }.map { dir + "/" + $0 }
    }

    static func size(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : -1
    }

    /// Starts `cnzoo convert`, waits until its temporary output holds at least `minBytes`, sends `signal`.
    /// Returns the exit status (or -signal) and whether the signal arrived while the temp file existed.
    static func interruptedConvert(input: String, output: String, signal sig: Int32) throws -> (status: Int32, midWrite: Bool) {
        let p = Process()
        p.executableURL = TestSupport.cnzooBinary
        p.arguments = ["convert", input, "--to", "torch", "-o", output, "--quiet"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        var midWrite = false
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning, Date() < deadline {
            if let t = temporaries(of: output).first, size(t) >= 1 << 20 {
                kill(p.processIdentifier, sig)
                midWrite = true
                break
            }
            usleep(200)
        }
        p.waitUntilExit()
        let status = p.terminationReason == .uncaughtSignal ? -p.terminationStatus : p.terminationStatus
        return (status, midWrite)
    }

    @Test(.timeLimit(.minutes(5))) func interruptedLargeConversionNeverLeavesAPartialTarget() throws {
        let dir = try TestSupport.makeScratchDirectory("cnzoo-crashsafe")
        defer { TestSupport.removeScratch(dir) }
        let input = dir + "/convnext_small.safetensors"
        let count = try Self.writeLargeInput(to: input)
        #expect(Self.size(input) > 190_000_000)

        // SIGINT mid-write: the handler removes the temporary file and exits 130; no target.
        let out1 = dir + "/sigint.pth"
        let r1 = try Self.interruptedConvert(input: input, output: out1, signal: SIGINT)
        #expect(r1.midWrite, "the conversion finished before it could be interrupted")
        #expect(r1.status == 130, "exit \(r1.status)")
        #expect(!FileManager.default.fileExists(atPath: out1), "SIGINT left a target")
        #expect(Self.temporaries(of: out1).isEmpty, "SIGINT left a temporary file")

        // SIGKILL mid-write: nothing can clean up, but the target must be absent (a temp file may remain).
        let out2 = dir + "/sigkill.pth"
        let r2 = try Self.interruptedConvert(input: input, output: out2, signal: SIGKILL)
        #expect(r2.midWrite, "the conversion finished before it could be killed")
        #expect(r2.status == -SIGKILL, "exit \(r2.status)")
        #expect(!FileManager.default.fileExists(atPath: out2), "SIGKILL left a partial target")

        // Uninterrupted: the target is complete and valid.
        let out3 = dir + "/complete.pth"
        let done = try TestSupport.run(["convert", input, "--to", "torch", "-o", out3, "--quiet"])
        #expect(done.status == 0, "\(done.stderr)")
        let (ckpt, format) = try CheckpointIO.read(path: out3)
        #expect(format == .pytorchZip)
        #expect(ckpt.tensors.count == count)
        #expect(Self.temporaries(of: out3).isEmpty)
    }

    @Test func existingOutputIsNeverReplacedWithoutForce() throws {
        let dir = try TestSupport.makeScratchDirectory("cnzoo-force")
        defer { TestSupport.removeScratch(dir) }
        let input = TestSupport.fixture("forward/micro_weights.safetensors")
        let out = dir + "/out.pth"
        try TestSupport.writeFile(out, Array("precious".utf8))
        let r = try TestSupport.run(["convert", input, "--to", "torch", "-o", out, "--quiet"])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.contains("--force"))
        #expect(try TestSupport.readFile(out) == Array("precious".utf8), "the existing file was touched")
        #expect(Self.temporaries(of: out).isEmpty)
        let forced = try TestSupport.run(["convert", input, "--to", "torch", "-o", out, "--quiet", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try CheckpointIO.read(path: out).1 == .pytorchZip)
        // A non-regular output (a directory) is refused even with --force.
        let r2 = try TestSupport.run(["convert", input, "--to", "torch", "-o", dir, "--quiet", "--force"])
        #expect(r2.status == 3, "\(r2.stderr)")
        #expect(r2.stderr.contains("not a regular file"))
    }

    /// An unwritable directory. Permission bits do not stop root, so as root the output goes under /proc, where
    /// nothing can be created by anyone (ENOENT); otherwise a 0555 scratch directory (EACCES).
    @Test func unwritableDirectoryGivesAClearError() throws {
        let dir = try TestSupport.makeScratchDirectory("cnzoo-eacces")
        defer { chmod(dir, 0o755); TestSupport.removeScratch(dir) }
        let input = TestSupport.fixture("forward/micro_weights.safetensors")
        let target: String
        let reason: String
        if getuid() == 0 {
            target = "/proc/cnzoo-robustness-test.pth"
            reason = "No such file or directory"
        } else {
            chmod(dir, 0o555)
            target = dir + "/out.pth"
            reason = "Permission denied"
        }
        let r = try TestSupport.run(["convert", input, "--to", "torch", "-o", target, "--quiet"])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.contains("cannot create a temporary file"), "\(r.stderr)")
        #expect(r.stderr.contains(reason), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    /// Whether this machine lets an unprivileged `unshare -rm` mount a private tmpfs (probed once).
    static let privateTmpfsAvailable: Bool = {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { return false }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        p.arguments = ["-rm", "/bin/sh", "-c", "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs \"$d\""]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    /// A full disk: a 256 KiB tmpfs in a private mount namespace (`unshare -rm`, which needs no real root where user
    /// namespaces are enabled), and a ~1.2 MB conversion into it. Disabled (by its condition) where unshare or
    /// tmpfs mounts are denied.
    @Test(.enabled(if: privateTmpfsAvailable, "needs unshare -rm and a private tmpfs mount"))
    func fullDiskGivesAClearErrorAndNoTarget() throws {
        let dir = try TestSupport.makeScratchDirectory("cnzoo-enospc")
        defer { TestSupport.removeScratch(dir) }
        let mnt = dir + "/full"
        try FileManager.default.createDirectory(atPath: mnt, withIntermediateDirectories: true)
        let input = TestSupport.fixture("forward/micro_weights.safetensors")
        let script = """
        mount -t tmpfs -o size=256k tmpfs "$1" || exit 77
        "$2" convert "$3" --to torch -o "$1/out.pth" --quiet; rc=$?
        ls -A "$1"; exit $rc
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        p.arguments = ["-rm", "/bin/sh", "-c", script, "sh", mnt, TestSupport.cnzooBinary.path, input]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let listing = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 3, "\(stderr)")
        #expect(stderr.contains("No space left on device"), "\(stderr)")
        #expect(listing.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "left behind: \(listing)")
    }
}
