import CNZooTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `cnzoo` binary under `/usr/bin/time` and reports what the kernel measured for that one process
/// (its rusage): CPU time and peak resident set size. Used to state resource bounds for hostile inputs.
///
/// Why not wait4 on a direct child: posix_spawn clones with CLONE_VM, and Linux folds the spawning process's peak
/// RSS (the whole test runner) into the child's maxrss at exec. `/usr/bin/time` forks from its own small image.
struct MeasuredRun {
    let exitStatus: Int32
    /// Signal that ended the child, or 0.
    let signal: Int32
    let cpuSeconds: Double
    let maxRSSBytes: Int
    let stderr: String

    static let timeBinary = "/usr/bin/time"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: timeBinary) }

    static func cnzoo(_ arguments: [String]) throws -> MeasuredRun {
        let errPath = NSTemporaryDirectory() + "cnzoo-measured-\(UUID().uuidString).err"
        let timePath = errPath + ".time"
        defer { unlink(errPath); unlink(timePath) }
        let binary = timeBinary
        let args = ["-f", "%U %S %M", "-o", timePath, TestSupport.cnzooBinary.path] + arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv: [UnsafeMutablePointer<CChar>?] = ([binary] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, binary, &actions, nil, argv, environ)
        guard rc == 0 else { throw CocoaError(.fileReadUnknown, userInfo: ["posix_spawn": rc]) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        // time's report: an optional "Command terminated by signal N" / "Command exited with non-zero status N"
        // line, then "user system maxrssKiB".
        let report = ((try? String(contentsOfFile: timePath, encoding: .utf8)) ?? "").split(separator: "\n")
        var signal: Int32 = 0
        if let line = report.first(where: { $0.hasPrefix("Command terminated by signal") }) {
            signal = Int32(line.split(separator: " ").last ?? "") ?? -1
        }
        let fields = (report.last ?? "").split(separator: " ").map { Double($0) ?? -1 }
        guard fields.count == 3 else { throw CocoaError(.fileReadCorruptFile, userInfo: ["time": report]) }
        return MeasuredRun(exitStatus: (status >> 8) & 0xFF, signal: signal, cpuSeconds: fields[0] + fields[1],
                           maxRSSBytes: Int(fields[2]) * 1024, stderr: err)
    }
}
