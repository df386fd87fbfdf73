import ArgumentParser
import CNZooConversion
import CNZooCore

/// `cnzoo scan FILE [--json]`: whether a file of any format can execute anything when loaded, and what its pickles
/// would do, without running them.
struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Say whether a checkpoint can run code when loaded: list its pickles' globals, opcodes and persistent ids, without running them.",
        discussion: """
        Detects the format by content. safetensors, MindSpore .ckpt and numeric .npy/.npz carry no pickle (exit 0). \
        .pth/.pt zips, legacy torch.save files, bare pickles and object-dtype .npy (or such .npz members) are \
        scanned, never executed, on three levels: tensor rebuilding only (exit 0); benign values not needed for \
        weights, from a documented allowlist (argparse.Namespace, numpy scalars and arrays, torch.Size, \
        torch.device; listed, exit 0); anything else (exit 1). Exit 2: not a checkpoint, or it could not be scanned.
        """)

    @Argument(help: "The file to scan (any format cnzoo recognises).")
    var file: String

    @Flag(help: "Print a JSON report.")
    var json = false

    func run() throws {
        let report = try reportingErrors(json: json) { try FileScanner.scan(file) }
        if json {
            try Output.printJSON(report)
        } else {
            print("\(file): \(report.format)" + (report.container.map { " (\($0))" } ?? ""))
            for s in report.sections {
                print("pickle \(s.pickle):")
                print("  \(Plural.count(s.opcodes.values.reduce(0, +), "opcode")): " + s.opcodes.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " "))
                print(Output.table(["global", "count", "verdict"], s.globals.map { [$0.name, String($0.count), $0.verdict.rawValue] },
                                   rightAligned: [1]).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
                if !s.calls.isEmpty { print("  calls: " + s.calls.joined(separator: "; ")) }
                if !s.persistentIDs.isEmpty {
                    print("  persistent ids (\(s.persistentIDCount) distinct): " + s.persistentIDs.prefix(3).joined(separator: "; ")
                          + (s.persistentIDs.count > 3 ? "; ..." : ""))
                }
                if let e = s.error { print("  stopped: \(e)") }
            }
            for f in report.findings {
                print("\(f.severity == .dangerous ? "DANGEROUS" : "UNSAFE"): \(f.pickle): \(f.message)"
                      + (f.offset.map { " (byte \($0))" } ?? ""))
            }
            print(report.summary)
        }
        if !report.isClean { throw ExitCode(ExitStatus.checkFailed) }
    }
}
