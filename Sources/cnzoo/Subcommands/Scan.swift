import ArgumentParser
import CNZooCore
import CNZooPyTorch

/// `cnzoo scan FILE [--json]`: what a PyTorch file's pickles would do if loaded in Python, without running them.
struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the globals, opcodes and persistent ids of the pickles in a .pth (or a bare pickle) and flag anything beyond tensor rebuilding.",
        discussion: "Never executes the pickle. Exit 0: only tensor rebuilding; 1: something unsafe found; 2: could not scan.")

    @Argument(help: "The file to scan (.pth/.pt zip, legacy torch.save file, or a bare pickle).")
    var file: String

    @Flag(help: "Print a JSON report.")
    var json = false

    func run() throws {
        let report = try reportingErrors(json: json) { try PyTorchFormat.scan(path: file) }
        if json {
            try Output.printJSON(report)
        } else {
            print("\(file): \(report.container)")
            for s in report.sections {
                print("pickle \(s.pickle):")
                print("  opcodes: " + s.opcodes.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " "))
                print(Output.table(["global", "count", "verdict"], s.globals.map { [$0.name, String($0.count), $0.verdict.rawValue] },
                                   rightAligned: [1]).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
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
            print(report.isClean ? "clean: only tensor rebuilding" : "unsafe: \(report.findings.count) finding(s); cnzoo executed nothing")
        }
        if !report.isClean { throw ExitCode(ExitStatus.checkFailed) }
    }
}
