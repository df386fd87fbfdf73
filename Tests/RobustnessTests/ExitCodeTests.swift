import CNZooTestSupport
import Foundation
import Testing

/// The documented exit codes (README "Exit codes") hold for every subcommand: 0 ok, 1 unsafe / check failed,
/// 2 usage or input error, 3 output error. Each subcommand is run with a usage error, a missing file, a malformed
/// file and an unsafe file.
@Suite struct ExitCodeTests {
    static let missing = "/nonexistent/cnzoo-no-such-file.pth"
    static let malformed = TestSupport.fixture("hostile/zip_overlap.pth")
    static let unsafe = TestSupport.fixture("hostile/reduce_os_system.pth")
    static let good = TestSupport.fixture("forward/micro_weights.safetensors")
    static let input = TestSupport.fixture("forward/micro_input.npy")

    /// Each subcommand's argument list with the checkpoint slot marked `@`.
    static let commands: [(name: String, args: [String])] = [
        ("inspect", ["inspect", "@"]),
        ("scan", ["scan", "@"]),
        ("convert", ["convert", "@", "--to", "safetensors", "-o", "/tmp/cnzoo-exitcode-never-written.safetensors"]),
        ("diff", ["diff", "@", good]),
        ("forward", ["forward", "--checkpoint", "@", "--input", input]),
        ("verify", ["verify", "--checkpoint", "@"]),
    ]

    static func run(_ args: [String], with file: String) throws -> TestSupport.RunResult {
        try TestSupport.run(args.map { $0 == "@" ? file : $0 })
    }

    @Test func usageErrorsExitTwo() throws {
        for (name, args) in Self.commands {
            let r = try TestSupport.run(args.map { $0 == "@" ? Self.good : $0 } + ["--no-such-option"])
            #expect(r.status == 2, "\(name) with an unknown option: exit \(r.status)\n\(r.stderr)")
        }
        #expect(try TestSupport.run(["no-such-subcommand"]).status == 2)
        #expect(try TestSupport.run(["inspect"]).status == 2)
        #expect(try TestSupport.run(["convert", Self.good]).status == 2)  // --to is required
        #expect(try TestSupport.run(["convert", Self.good, "--to", "no-such-format"]).status == 2)
    }

    @Test func missingFileExitsTwo() throws {
        for (name, args) in Self.commands {
            let r = try Self.run(args, with: Self.missing)
            #expect(r.status == 2, "\(name) on a missing file: exit \(r.status)\n\(r.stderr)")
            #expect(r.stderr.contains(Self.missing), "\(name): the error does not name the file\n\(r.stderr)")
        }
    }

    @Test func malformedFileExitsTwo() throws {
        for (name, args) in Self.commands {
            let r = try Self.run(args, with: Self.malformed)
            #expect(r.status == 2, "\(name) on a malformed file: exit \(r.status)\n\(r.stderr)")
            #expect(r.stderr.contains("overlap"), "\(name): \(r.stderr)")
        }
    }

    /// Reading an unsafe pickle is refused with exit 1 by every command that reads it, scan included.
    @Test func unsafeFileExitsOne() throws {
        for (name, args) in Self.commands {
            let r = try Self.run(args, with: Self.unsafe)
            #expect(r.status == 1, "\(name) on an unsafe pickle: exit \(r.status)\n\(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/cnzoo-exitcode-never-written.safetensors"))
    }

    /// The zoo commands: usage errors, unknown ids and a missing manifest directory (an input) are all exit 2.
    @Test func zooCommandsUseTheSameCodes() throws {
        for args in [["list", "--no-such-option"], ["info", "convnext_tiny", "--no-such-option"],
                     ["fetch", "convnext_tiny", "--no-such-option"], ["info"], ["fetch"]] {
            let r = try TestSupport.run(args)
            #expect(r.status == 2, "\(args): exit \(r.status)\n\(r.stderr)")
        }
        for args in [["info", "no-such-model"], ["fetch", "no-such-model"]] {
            let r = try TestSupport.run(args)
            #expect(r.status == 2, "\(args): exit \(r.status)\n\(r.stderr)")
            #expect(r.stderr.contains("no-such-model"))
        }
        for args in [["list", "--manifest-dir", "/nonexistent-cnzoo-zoo"],
                     ["info", "convnext_tiny", "--manifest-dir", "/nonexistent-cnzoo-zoo"]] {
            let r = try TestSupport.run(args)
            #expect(r.status == 2, "\(args): a missing manifest directory is an input error; exit \(r.status)\n\(r.stderr)")
            #expect(r.stderr.contains("/nonexistent-cnzoo-zoo"))
        }
        #expect(try TestSupport.run(["list"]).status == 0)
    }

    @Test func successExitsZero() throws {
        #expect(try TestSupport.run(["inspect", Self.good]).status == 0)
        #expect(try TestSupport.run(["scan", TestSupport.fixture("pytorch/tiny.pth")]).status == 0)
        #expect(try TestSupport.run(["--version"]).status == 0)
        #expect(try TestSupport.run(["--help"]).status == 0)
    }
}
