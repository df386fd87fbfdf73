import CNZooCore
import Foundation

/// Helpers shared by the test targets: fixture paths, scratch directories, running the built `cnzoo` binary.
public enum TestSupport {
    /// The package root (found from this source file's location).
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// `Fixtures/<relative>`.
    public static func fixture(_ relative: String) -> String {
        packageRoot.appendingPathComponent("Fixtures").appendingPathComponent(relative).path
    }

    /// A fresh empty directory under the system temp dir, removed by the caller with `removeScratch`.
    public static func makeScratchDirectory(_ label: String = "cnzoo-test") throws -> String {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Removes a scratch directory.
    public static func removeScratch(_ dir: String) {
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Reads a whole file.
    public static func readFile(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Writes a whole file (non-atomically; test inputs only).
    public static func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// The built `cnzoo` executable next to the test bundle.
    public static var cnzooBinary: URL {
        var dir = Bundle.main.bundleURL
        if dir.pathExtension == "xctest" { dir.deleteLastPathComponent() }
        let candidates = [dir.appendingPathComponent("cnzoo"),
                          dir.deletingLastPathComponent().appendingPathComponent("cnzoo")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    /// The result of running the binary.
    public struct RunResult {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        /// Standard output as bytes (for commands that write a binary file there: `convert -o -`).
        public let stdoutBytes: [UInt8]
    }

    /// Runs `cnzoo` with `arguments`, capturing output. `environment` entries are added to the current environment.
    public static func run(_ arguments: [String], environment: [String: String] = [:],
                           currentDirectory: String? = nil) throws -> RunResult {
        let p = Process()
        p.executableURL = cnzooBinary
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        if let currentDirectory { p.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // Drain both pipes concurrently so a chatty child cannot block.
        final class Box: @unchecked Sendable { var data = Data() }
        let outBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outBox.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let outData = outBox.data
        p.waitUntilExit()
        return RunResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self), stdoutBytes: [UInt8](outData))
    }
}

/// SplitMix64: a small seeded generator, so property tests see the same cases on every run.
public struct SplitMix64: RandomNumberGenerator {
    /// The current state (the seed, before the first draw).
    public var state: UInt64

    /// A generator seeded with `state`.
    public init(state: UInt64) { self.state = state }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<n` (`n` > 0).
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
