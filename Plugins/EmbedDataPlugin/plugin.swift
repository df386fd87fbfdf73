import Foundation
import PackagePlugin

/// Build-tool plugin: embeds the zoo manifests and the `verify` reference data in the target it is applied to
/// (CNZooEmbeddedData), generated at build time from the package's `Zoo/` and `Fixtures/`, so an installed `cnzoo`
/// needs no data files beside it and there is no second copy to keep in sync by hand.
///
/// The files are chosen by rule, not by list, and the rule lives in one place, Plugins/EmbedDataPlugin/embed-data.sh
/// (documented in Fixtures/README.md): every `Zoo/*.json`, `Zoo/labels/*.json` and every `Fixtures/**/*_logits_*.npy`. The command
/// depends on the matched files (an edit re-embeds) and on every directory the rule searches (a file added, removed or
/// replaced there re-runs the rule).
@main
struct EmbedDataPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let root = context.package.directoryURL
        let script = root.appendingPathComponent("Plugins/EmbedDataPlugin/embed-data.sh")
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedFiles+Table.swift")
        let inputs = try Self.run(script, ["inputs", root.path])
            .split(separator: "\n").map { root.appendingPathComponent(String($0)) }
        return [.buildCommand(
            displayName: "Embedding the zoo manifests and reference logits",
            executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: [script.path, "generate", root.path, output.path],
            inputFiles: [script] + inputs,
            outputFiles: [output])]
    }

    /// Runs `sh script arguments…` and returns its standard output; fails with its standard error.
    static func run(_ script: URL, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [script.path] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw EmbedError(message: String(decoding: errors, as: UTF8.self))
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The rule script failed; its message is passed on.
    struct EmbedError: Error, CustomStringConvertible {
        let message: String
        var description: String { "embed-data.sh: \(message)" }
    }
}
