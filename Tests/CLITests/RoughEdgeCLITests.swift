import CNZooCore
import CNZooTestSupport
import Foundation
import Testing
@testable import cnzoo

/// The rough edges a first user hits, end to end: outputs on standard output and devices, names that do not match
/// the content, forward at any size and quietly, scan's text and JSON telling the same counts, number formatting.
@Suite struct RoughEdgeCLITests {
    static let micro = TestSupport.fixture("pytorch/torchvision_micro_f32.pth")

    /// A float32 C-order `.npy` (version 1.0 header padded to 64 bytes, as numpy writes it).
    static func npy(shape: [Int], values: [Float]) -> [UInt8] {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        header += String(repeating: " ", count: 63 - (10 + header.count) % 64) + "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        out += Array(header.utf8)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 } }
        return out
    }

    // MARK: outputs

    @Test func dashWritesTheCheckpointToStandardOutput() throws {
        let dir = try TestSupport.makeScratchDirectory("cnzoo-stdout")
        defer { TestSupport.removeScratch(dir) }
        for (target, file) in [("safetensors", "m.safetensors"), ("ms", "m.ckpt"), ("torch", "archive.pth"), ("onnx", "m.onnx")] {
            let piped = try TestSupport.run(["convert", Self.micro, "--to", target, "-o", "-"])
            #expect(piped.status == 0, "\(target): \(piped.stderr)")
            // The summary goes to stderr; stdout holds exactly the file a named output gets (a torch zip's folder
            // is `archive`, as torch.save names it for a file object).
            #expect(piped.stderr.contains("→ - ("), "\(target): \(piped.stderr)")
            let named = try TestSupport.run(["convert", Self.micro, "--to", target, "-o", dir + "/" + file, "--quiet"])
            #expect(named.status == 0, "\(target): \(named.stderr)")
            #expect(piped.stdoutBytes == (try TestSupport.readFile(dir + "/" + file)), "\(target): stdout differs from the file")
        }
        // Keras (libhdf5 seeks) cannot be streamed: a clear usage error, nothing on stdout.
        let keras = try TestSupport.run(["convert", Self.micro, "--to", "keras", "-o", "-"])
        #expect(keras.status == 2 && keras.stdoutBytes.isEmpty, "\(keras.stderr)")
        #expect(keras.stderr.contains("cannot be streamed"), "\(keras.stderr)")
        // --json and the checkpoint cannot share stdout.
        let both = try TestSupport.run(["convert", Self.micro, "--to", "safetensors", "-o", "-", "--json"])
        #expect(both.status == 2 && both.stderr.contains("would both write to standard output"), "\(both.stderr)")
        // A transformers model folder is several files: not a stream either.
        let folder = try TestSupport.run(["convert", Self.micro, "--to", "safetensors", "--convention", "transformers",
                                          "-o", "-"])
        #expect(folder.status == 2 && folder.stderr.contains("cannot go to a stream"), "\(folder.stderr)")
        // ONNX weights in a second file cannot go to a stream.
        let external = try TestSupport.run(["convert", Self.micro, "--to", "onnx", "--external-data", "external", "-o", "-"])
        #expect(external.status == 2 && external.stderr.contains("<output>.data"), "\(external.stderr)")
    }

    /// Tensors of 1 MiB and more are copied in the kernel when the output is a file; a pipe takes the write(2) path.
    @Test func aLargeTensorStreamsThroughAPipe() throws {
        let dir = try TestSupport.makeScratchDirectory("cnzoo-pipe")
        defer { TestSupport.removeScratch(dir) }
        let count = 3 << 19  // 6 MiB of float32
        var header = #"{"big.weight":{"dtype":"F32","shape":[3,524288],"data_offsets":[0,\#(4 * count)]}}"#
        header += String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) } + Array(header.utf8)
        (0..<count).map { Float($0) }.withUnsafeBytes { bytes += $0 }  // little-endian host (x86-64, arm64)
        let input = dir + "/big.safetensors"
        try TestSupport.writeFile(input, bytes)
        let piped = try TestSupport.run(["convert", input, "--to", "safetensors", "-o", "-"])
        #expect(piped.status == 0, "\(piped.stderr)")
        let named = try TestSupport.run(["convert", input, "--to", "safetensors", "-o", dir + "/out.safetensors", "--quiet"])
        #expect(named.status == 0, "\(named.stderr)")
        let file = try TestSupport.readFile(dir + "/out.safetensors")
        #expect(file.count > 4 * count && piped.stdoutBytes == file)
    }

    @Test func devNullIsAccepted() throws {
        for target in ["safetensors", "ms", "torch"] {
            let r = try TestSupport.run(["convert", Self.micro, "--to", target, "-o", "/dev/null"])
            #expect(r.status == 0, "\(target): \(r.stderr)")
            #expect(r.stdout.contains("→ /dev/null ("), "\(target): \(r.stdout)")
            #expect(!r.stderr.contains("warning"), "\(target): \(r.stderr)")
        }
        #expect(FileManager.default.fileExists(atPath: "/dev/null"))
        let keras = try TestSupport.run(["convert", Self.micro, "--to", "keras", "-o", "/dev/null"])
        #expect(keras.status == 2 && keras.stderr.contains("/dev/null: a Keras .weights.h5 cannot be streamed"),
                "\(keras.stderr)")
    }

    @Test func anOutputExtensionThatDoesNotMatchIsWarnedAbout() throws {
        let dir = try TestSupport.makeScratchDirectory("cnzoo-ext")
        defer { TestSupport.removeScratch(dir) }
        let r = try TestSupport.run(["convert", Self.micro, "--to", "torch", "-o", dir + "/m.ckpt"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("warning: \(dir)/m.ckpt ends in .ckpt but --to torch writes pytorch (.pth)"), "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/m.ckpt"))
        let keras = try TestSupport.run(["convert", Self.micro, "--to", "keras", "-o", dir + "/m.h5"])
        #expect(keras.stderr.contains("reads the Keras 3 layout only from a name ending in .weights.h5"), "\(keras.stderr)")
        let j = try TestSupport.run(["convert", Self.micro, "--to", "ms", "-o", dir + "/m.safetensors", "--json"])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        #expect((doc["warnings"] as? [String])?.first?.contains("ends in .safetensors but --to ms writes mindspore") == true)
        // Matching names and names without a known extension: no warning.
        for (target, name) in [("torch", "m.pt"), ("torch", "m.bin"), ("keras", "m.weights.h5"), ("ms", "weights")] {
            let ok = try TestSupport.run(["convert", Self.micro, "--to", target, "-o", dir + "/" + name, "--force"])
            #expect(ok.status == 0 && !ok.stderr.contains("warning"), "\(name): \(ok.stderr)")
        }
    }

    @Test func anInputWhoseExtensionLiesGetsANote() throws {
        let dir = try TestSupport.makeScratchDirectory("cnzoo-lie")
        defer { TestSupport.removeScratch(dir) }
        let lie = dir + "/weights.safetensors"
        try TestSupport.writeFile(lie, try TestSupport.readFile(Self.micro))
        let i = try TestSupport.run(["inspect", lie])
        #expect(i.status == 0, "\(i.stderr)")
        #expect(i.stdout.contains("note: the name ends in .safetensors, a safetensors extension, but the content is "
                                  + "pytorch-zip; read by content"), "\(i.stdout)")
        let c = try TestSupport.run(["convert", lie, "--to", "ms", "-o", dir + "/out.ckpt"])
        #expect(c.status == 0 && c.stdout.contains("note: the name ends in .safetensors"), "\(c.stdout)\(c.stderr)")
        // A Lightning-style .ckpt holding a torch.save zip says why that is common.
        let lightning = dir + "/epoch=3.ckpt"
        try TestSupport.writeFile(lightning, try TestSupport.readFile(Self.micro))
        #expect(try TestSupport.run(["inspect", lightning]).stdout.contains("PyTorch Lightning names its torch.save files .ckpt"))
        // The honest name: no note.
        #expect(!(try TestSupport.run(["inspect", Self.micro]).stdout.contains("the name ends in")))
    }

    // MARK: forward

    @Test func forwardRunsTorchvisionsSizeQuietlyAndNamesTheInputWhenTooSmall() throws {
        let dir = try TestSupport.makeScratchDirectory("cnzoo-fwd")
        defer { TestSupport.removeScratch(dir) }
        let weights = TestSupport.fixture("forward/micro_weights.safetensors")
        let input = dir + "/x225.npy"
        try TestSupport.writeFile(input, Self.npy(shape: [1, 3, 225, 225],
                                                  values: (0..<(3 * 225 * 225)).map { Float($0 % 17) / 17 - 0.5 }))
        let loud = try TestSupport.run(["forward", "--checkpoint", weights, "--input", input])
        #expect(loud.status == 0, "\(loud.stderr)")
        #expect(loud.stdout.contains("row 0: top-5"), "\(loud.stdout)")
        let quiet = try TestSupport.run(["forward", "--checkpoint", weights, "--input", input, "--output",
                                         dir + "/y.npy", "--quiet"])
        #expect(quiet.status == 0 && quiet.stdout.isEmpty && quiet.stderr.isEmpty, "\(quiet.stdout)\(quiet.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/y.npy"))
        // Logits on stdout: the text goes to stderr.
        let piped = try TestSupport.run(["forward", "--checkpoint", weights, "--input", input, "--output", "-"])
        let logits = try TestSupport.readFile(dir + "/y.npy")
        #expect(piped.status == 0 && piped.stdoutBytes == logits, "\(piped.stderr)")
        #expect(piped.stderr.contains("row 0: top-5"), "\(piped.stderr)")

        let small = dir + "/x31.npy"
        try TestSupport.writeFile(small, Self.npy(shape: [1, 3, 31, 64], values: [Float](repeating: 0, count: 3 * 31 * 64)))
        let refused = try TestSupport.run(["forward", "--checkpoint", weights, "--input", small, "--quiet"])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("\(small): input height and width must be at least 32"), "\(refused.stderr)")
    }

    @Test func forwardTimesAreRoundedAndTheRateHasItsUnitSpaced() throws {
        #expect(Output.milliseconds(0.41234) == "0.412 ms")
        #expect(Output.milliseconds(8.5678) == "8.57 ms")
        #expect(Output.milliseconds(41.2567) == "41.3 ms")
        #expect(Output.milliseconds(412.49) == "412 ms")
        #expect(Output.rate(352 << 20 + 300 << 10, seconds: 1) == "352.3 MiB/s")
        #expect(Output.rate(100, seconds: 0) == nil)
        let r = try TestSupport.run(["forward", "--checkpoint", TestSupport.fixture("forward/micro_weights.safetensors"),
                                     "--input", TestSupport.fixture("forward/micro_input.npy"), "--repeats", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        let line = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("forward: median ") })
        // "forward: median 1.23 ms over 3 runs": at most three decimals.
        let figure = try #require(line.split(separator: " ").dropFirst(2).first)
        #expect((figure.split(separator: ".").last?.count ?? 9) <= 3, "\(line)")
        let c = try TestSupport.run(["convert", Self.micro, "--to", "safetensors", "-o", "/dev/null"])
        #expect(c.stdout.range(of: #"in [0-9]+\.[0-9]{2} s \([0-9]+(\.[0-9])? (B|KiB|MiB|GiB)/s\)"#,
                               options: .regularExpression) != nil, "\(c.stdout)")
    }

    // MARK: --verify-crc

    @Test func verifyCRCIsOptInOnTheCommandLine() throws {
        let dir = try TestSupport.makeScratchDirectory("cnzoo-crc-cli")
        defer { TestSupport.removeScratch(dir) }
        var bytes = try TestSupport.readFile(Self.micro)
        // The first stored tensor entry: a local header `PK\u{3}\u{4}` whose name has `/data/`; flip its first data byte.
        var at = 0, flipped: Int?
        while flipped == nil, at + 30 < bytes.count {
            guard bytes[at..<(at + 4)] == [0x50, 0x4B, 0x03, 0x04] else { at += 1; continue }
            let nameLength = Int(bytes[at + 26]) | Int(bytes[at + 27]) << 8
            let extraLength = Int(bytes[at + 28]) | Int(bytes[at + 29]) << 8
            let name = String(decoding: bytes[(at + 30)..<(at + 30 + nameLength)], as: UTF8.self)
            if name.contains("/data/") { flipped = at + 30 + nameLength + extraLength }
            at += 30 + nameLength
        }
        let offset = try #require(flipped)
        bytes[offset] ^= 0x01
        let damaged = dir + "/damaged.pth"
        try TestSupport.writeFile(damaged, bytes)
        #expect(try TestSupport.run(["inspect", damaged]).status == 0, "off by default, as in torch")
        let checked = try TestSupport.run(["inspect", damaged, "--verify-crc"])
        #expect(checked.status == 2, "\(checked.stderr)")
        #expect(checked.stderr.contains("\(damaged): byte \(offset): zip entry '"), "\(checked.stderr)")
        let intact = try TestSupport.run(["inspect", Self.micro, "--verify-crc"])
        #expect(intact.status == 0 && intact.stdout.contains("note: verified the CRC-32 of all"), "\(intact.stdout)")
    }

    // MARK: info

    @Test func infoCitesNothingOutsideTheRepository() throws {
        let list = try TestSupport.run(["list", "--json"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(entries.count >= 18)
        for id in entries.compactMap({ $0["id"] as? String }) {
            let info = try TestSupport.run(["info", id])
            #expect(info.status == 0, "\(id): \(info.stderr)")
            for outside in ["formats.md", "shared/", "../", "seed 0"] {
                #expect(!info.stdout.contains(outside), "\(id) cites \(outside)")
            }
        }
    }

    // MARK: scan

    @Test(arguments: ["pytorch/evil_reduce.pth", "pytorch/official_wrapped.pth", "pytorch/legacy.pth",
                      "pytorch/evil_inst.pkl", "generic/object_benign.npy"])
    func scanTextAndJSONTellTheSameCounts(_ fixture: String) throws {
        let path = TestSupport.fixture(fixture)
        let text = try TestSupport.run(["scan", path])
        let json = try TestSupport.run(["scan", path, "--json"])
        #expect(text.status == json.status)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let findings = try #require(doc["findings"] as? [[String: Any]])
        #expect(text.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("DANGEROUS: ") || $0.hasPrefix("UNSAFE: ") }
            .count == findings.count, "\(text.stdout)")
        for section in try #require(doc["sections"] as? [[String: Any]]) {
            let opcodes = try #require(section["opcodes"] as? [String: Int])
            #expect(text.stdout.contains("\(Plural.count(opcodes.values.reduce(0, +), "opcode")): "), "\(text.stdout)")
            for (op, n) in opcodes { #expect(text.stdout.contains("\(op)×\(n)"), "\(op)") }
            for call in try #require(section["calls"] as? [String]) { #expect(text.stdout.contains(call), "\(call)") }
            for g in try #require(section["globals"] as? [[String: Any]]) {
                let name = try #require(g["name"] as? String), count = try #require(g["count"] as? Int)
                #expect(text.stdout.range(of: "\(name) +\(count) ", options: .regularExpression) != nil, "\(name)")
            }
            if let ids = section["persistent_id_count"] as? Int, ids > 0 {
                #expect(text.stdout.contains("persistent ids (\(ids) distinct)"))
            }
        }
        // The container is spelled as inspect spells it.
        let inspect = try TestSupport.run(["inspect", path, "--json"])
        if inspect.status == 0, let container = doc["container"] as? String {
            let i = try #require(try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
            #expect(i["container"] as? String == container)
            #expect(text.stdout.hasPrefix("\(path): \(doc["format"] as? String ?? "") (\(container))"), "\(text.stdout)")
        }
    }
}
