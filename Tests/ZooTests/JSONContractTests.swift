import CNZooCore
import CNZooTestSupport
import Foundation
import Testing

/// The `--json` contract (issue 11 item 6): the built binary, run for every subcommand on success and on failure,
/// prints exactly one JSON document on stdout that validates against its schema in `docs/json/`, uses snake_case
/// field names only, and exits with README's code (0 ok, 1 check failed, 2 usage/input, 3 output, 4 network).
/// A failure prints `error.schema.json`'s document, whose `exit_code` is the process's exit status.
@Suite(.serialized) final class JSONContractTests {
    let scratch: String

    init() throws { scratch = try TestSupport.makeScratchDirectory("cnzoo-json") }
    deinit { TestSupport.removeScratch(scratch) }

    static let schemaDirectory = TestSupport.packageRoot.appendingPathComponent("docs/json").path
    /// Every command's schema file name (without `.schema.json`).
    static let schemaNames = ["inspect", "scan", "convert", "diff", "forward", "verify", "verify-images", "list", "info",
                              "fetch", "error"]

    static func schema(_ name: String) throws -> SchemaSubset {
        let zoo = try SchemaSubset.parse(file: TestSupport.packageRoot.appendingPathComponent("Zoo/schema.json").path)
        return SchemaSubset(try SchemaSubset.parse(file: "\(schemaDirectory)/\(name).schema.json"), others: [zoo])
    }

    static func fixture(_ p: String) -> String { TestSupport.fixture(p) }

    /// Runs `cnzoo arguments`, expects `status`, and checks stdout against `schema` (the error schema when the
    /// status is not 0 and `schema` is nil). Returns the parsed document.
    @discardableResult
    func expectDocument(_ arguments: [String], schema name: String?, status: Int32,
                        environment: [String: String] = [:],
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
        let r = try TestSupport.run(arguments, environment: environment)
        let label = arguments.joined(separator: " ")
        #expect(r.status == status, "\(label): exit \(r.status), stderr: \(r.stderr)", sourceLocation: sourceLocation)
        return try checkDocument(r, label: label, schema: name, sourceLocation: sourceLocation)
    }

    /// Checks that `r.stdout` is one document valid against `name` (the error schema when nil), with snake_case
    /// field names, no internal enum keys, and (for an error) `exit_code` equal to the exit status.
    @discardableResult
    func checkDocument(_ r: TestSupport.RunResult, label: String, schema name: String?,
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
        let doc = try Array(r.stdout.utf8).withUnsafeBytes { try JSONParser.parse($0) }
        let schemaName = name ?? "error"
        let schema = try Self.schema(schemaName)
        #expect(schema.errors(doc) == [], "\(label) vs \(schemaName).schema.json", sourceLocation: sourceLocation)
        for key in schema.fieldNames(doc) {
            #expect(key.range(of: "^[a-z][a-z0-9_]*$", options: .regularExpression) != nil,
                    "\(label): field '\(key)' is not snake_case", sourceLocation: sourceLocation)
        }
        for key in Self.allKeys(doc) {
            #expect(key.range(of: "^_[0-9]+$", options: .regularExpression) == nil,
                    "\(label): internal enum key '\(key)'", sourceLocation: sourceLocation)
        }
        if name == nil, case .object(let top) = doc, case .object(let e)? = top.first?.1,
           case .int(let code)? = e.first(where: { $0.0 == "exit_code" })?.1 {
            #expect(code == Int64(r.status), "\(label): exit_code \(code) but the process exited \(r.status)",
                    sourceLocation: sourceLocation)
        }
        return doc
    }

    /// Every key of every object in `v`, data keys included.
    static func allKeys(_ v: JSONValue) -> [String] {
        switch v {
        case .object(let m): return m.flatMap { [$0.0] + allKeys($0.1) }
        case .array(let a): return a.flatMap(allKeys)
        default: return []
        }
    }

    static func member(_ v: JSONValue, _ path: String...) -> JSONValue? {
        var node = v
        for key in path {
            guard case .object(let m) = node, let next = m.first(where: { $0.0 == key })?.1 else { return nil }
            node = next
        }
        return node
    }

    // MARK: the schemas themselves

    @Test(arguments: JSONContractTests.schemaNames)
    func schemaIsUnderstoodAndSnakeCase(_ name: String) throws {
        let schema = try Self.schema(name)
        #expect(schema.unsupportedKeywords().isEmpty, "\(name): keywords the Swift checker ignores")
        // Every declared field name follows the contract.
        func declared(_ s: JSONValue) -> [String] {
            switch s {
            case .object(let m):
                return m.flatMap { key, value -> [String] in
                    if key == "properties", case .object(let props) = value {
                        return props.map(\.0) + props.flatMap { declared($0.1) }
                    }
                    return declared(value)
                }
            case .array(let a): return a.flatMap(declared)
            default: return []
            }
        }
        let names = declared(schema.root)
        #expect(!names.isEmpty)
        for n in names { #expect(n.range(of: "^[a-z][a-z0-9_]*$", options: .regularExpression) != nil, "\(name): \(n)") }
    }

    @Test func validatorRejectsWhatTheContractForbids() throws {
        let schema = try Self.schema("error")
        func parse(_ s: String) throws -> JSONValue { try Array(s.utf8).withUnsafeBytes { try JSONParser.parse($0) } }
        let good = try parse(#"{"error": {"code": "usage", "message": "m", "file": null, "tensor": null, "offset": null, "exit_code": 2}}"#)
        #expect(schema.errors(good) == [])
        let camel = try parse(#"{"error": {"code": "usage", "message": "m", "file": null, "tensor": null, "offset": null, "exitCode": 2}}"#)
        #expect(schema.errors(camel).contains { $0.contains("missing required 'exit_code'") })
        #expect(schema.errors(camel).contains { $0.contains("unexpected 'exitCode'") })
        let dropped = try parse(#"{"error": {"code": "usage", "message": "m", "exit_code": 0}}"#)
        #expect(schema.errors(dropped).count == 4)
    }

    // MARK: inspect

    @Test func inspect() throws {
        let doc = try expectDocument(["inspect", Self.fixture("pytorch/torchvision_micro_f32.pth"), "--json"],
                                     schema: "inspect", status: 0)
        #expect(Self.member(doc, "architecture", "family") == .string("convnext"))
        let extras = try expectDocument(["inspect", Self.fixture("pytorch/official_wrapped.pth"), "--json"],
                                        schema: "inspect", status: 0)
        guard case .array(let list)? = Self.member(extras, "extras") else { Issue.record("no extras"); return }
        #expect(!list.isEmpty)
        try expectDocument(["inspect", Self.fixture("safetensors/unicode_metadata.safetensors"), "--json"],
                           schema: "inspect", status: 0)
        try expectDocument(["inspect", Self.fixture("mindspore/train_adamw.ckpt"), "--json"], schema: "inspect", status: 0)
    }

    @Test func inspectFailures() throws {
        let missing = try expectDocument(["inspect", scratch + "/absent.pth", "--json"], schema: nil, status: 2)
        #expect(Self.member(missing, "error", "file") == .string(scratch + "/absent.pth"))
        try expectDocument(["inspect", Self.fixture("pytorch/evil_reduce.pth"), "--json"], schema: nil, status: 1)
        try expectDocument(["inspect", Self.fixture("safetensors/dtypes.safetensors"), "--json", "--no-such-flag"],
                           schema: nil, status: 2)
    }

    /// Hostile and malformed files: inspect either describes the file (exit 0) or refuses it with one error
    /// document (exit 1 for something unsafe, 2 for bad input); nothing else reaches stdout.
    @Test func inspectOfHostileFilesPrintsOneDocument() throws {
        var files: [String] = []
        for dir in ["hostile", "safetensors/malformed"] {
            let path = Self.fixture(dir)
            files += try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { "\(path)/\($0)" }
        }
        #expect(files.count > 50)
        var refused = 0
        for file in files {
            let r = try TestSupport.run(["inspect", file, "--json"])
            #expect([0, 1, 2].contains(r.status), "\(file): exit \(r.status)")
            try checkDocument(r, label: "inspect \(file)", schema: r.status == 0 ? "inspect" : nil)
            if r.status != 0 { refused += 1 }
        }
        #expect(refused > files.count / 2)
    }

    // MARK: scan

    @Test func scan() throws {
        let clean = try expectDocument(["scan", Self.fixture("pytorch/views.pth"), "--json"], schema: "scan", status: 0)
        #expect(Self.member(clean, "findings") == .array([]))
        let evil = try expectDocument(["scan", Self.fixture("pytorch/evil_reduce.pth"), "--json"], schema: "scan", status: 1)
        #expect(Self.member(evil, "findings") != .array([]))
        try expectDocument(["scan", Self.fixture("pytorch/legacy.pth"), "--json"], schema: "scan", status: 0)
        try TestSupport.writeFile(scratch + "/junk.bin", Array("not a pickle at all".utf8))
        try expectDocument(["scan", scratch + "/junk.bin", "--json"], schema: nil, status: 2)
    }

    // MARK: convert and diff

    @Test func convertAndDiff() throws {
        let input = Self.fixture("pytorch/torchvision_micro_f32.pth")
        let out = scratch + "/micro.safetensors"
        let doc = try expectDocument(["convert", input, "--to", "safetensors", "-o", out, "--json"],
                                     schema: "convert", status: 0)
        #expect(Self.member(doc, "dtype") == .null)
        let half = scratch + "/micro_f16.ckpt"
        let cast = try expectDocument(["convert", input, "--to", "ms", "--dtype", "f16", "-o", half, "--json"],
                                      schema: "convert", status: 0)
        #expect(Self.member(cast, "dtype", "to") == .string("F16"))
        // The output exists: exit 3.
        let exists = try expectDocument(["convert", input, "--to", "safetensors", "-o", out, "--json"], schema: nil, status: 3)
        #expect(Self.member(exists, "error", "code") == .string("exists"))
        // An unknown convention or target is a usage error, still one document on stdout.
        try expectDocument(["convert", input, "--to", "safetensors", "--convention", "no-such-naming", "-o",
                            scratch + "/x.safetensors", "--json"], schema: nil, status: 2)
        try expectDocument(["convert", input, "--to", "onnx-or-nothing", "--json"], schema: nil, status: 2)
        try expectDocument(["convert", scratch + "/absent.pth", "--to", "ms", "--json"], schema: nil, status: 2)

        let same = try expectDocument(["diff", input, out, "--json"], schema: "diff", status: 0)
        #expect(Self.member(same, "identical") == .bool(true))
        let different = try expectDocument(["diff", input, half, "--json"], schema: "diff", status: 1)
        #expect(Self.member(different, "identical") == .bool(false))
        try expectDocument(["diff", input, scratch + "/absent.ckpt", "--json"], schema: nil, status: 2)
        try expectDocument(["diff", input, out, "--from", "no-such-naming", "--json"], schema: nil, status: 2)
    }

    @Test func kerasFiles() throws {
        for file in ["micro.keras", "micro.weights.h5", "micro_legacy_model.h5"] {
            let doc = try expectDocument(["inspect", Self.fixture("keras/\(file)"), "--json"], schema: "inspect", status: 0)
            #expect(Self.member(doc, "convention") == .string("keras"))
        }
        let input = Self.fixture("keras/micro.keras")
        let out = scratch + "/from_keras.safetensors"
        try expectDocument(["convert", input, "--to", "safetensors", "-o", out, "--json"], schema: "convert", status: 0)
        let same = try expectDocument(["diff", input, out, "--json"], schema: "diff", status: 0)
        #expect(Self.member(same, "identical") == .bool(true))
        let torch = Self.fixture("pytorch/torchvision_micro_f32.pth")
        let keras = scratch + "/micro.weights.h5"
        let written = try expectDocument(["convert", torch, "--to", "keras", "-o", keras, "--json"], schema: "convert",
                                         status: 0)
        #expect(Self.member(written, "to", "convention") == .string("keras"))
        // The same values; Keras stores kernels in another axis order (and layer scale as [C]): equivalent, exit 0.
        let back = try expectDocument(["diff", torch, keras, "--json"], schema: "diff", status: 0)
        #expect(Self.member(back, "identical") == .bool(false))
        #expect(Self.member(back, "equivalent") == .bool(true))
    }

    // MARK: forward

    @Test func forward() throws {
        let weights = Self.fixture("forward/micro_weights.safetensors")
        let input = Self.fixture("forward/micro_input.npy")
        let plain = try expectDocument(["forward", "--checkpoint", weights, "--input", input, "--json"],
                                       schema: "forward", status: 0)
        #expect(Self.member(plain, "profile_ms") == .null && Self.member(plain, "output") == .null)
        let out = scratch + "/logits.npy"
        let profiled = try expectDocument(["forward", "--checkpoint", weights, "--input", input, "--output", out,
                                           "--profile", "--repeats", "2", "--json"], schema: "forward", status: 0)
        #expect(Self.member(profiled, "output") == .string(out))
        try expectDocument(["forward", "--checkpoint", weights, "--input", input, "--output", out, "--json"],
                           schema: nil, status: 3)
        try expectDocument(["forward", "--checkpoint", weights, "--input", Self.fixture("forward/micro_logits_mindcv.npy"),
                            "--json"], schema: nil, status: 2)
    }

    // MARK: verify

    @Test func verifyCheckpoint() throws {
        let doc = try expectDocument(["verify", "--checkpoint", Self.fixture("pytorch/torchvision_micro_f32.pth"), "--json"],
                                     schema: "verify", status: 0)
        #expect(Self.member(doc, "passed") == .bool(true))
        try expectDocument(["verify", "--checkpoint", scratch + "/absent.pth", "--json"], schema: nil, status: 2)
        try expectDocument(["verify", "--variant", "enormous", "--json"], schema: nil, status: 2)
    }

    @Test func verifyVariantThatFails() throws {
        // Another variant's logits under tiny's name: parity fails, `passed` is false, exit 1.
        let dir = scratch + "/wrong-references"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for fw in ["torchvision", "mindcv"] {
            try TestSupport.writeFile(dir + "/tiny_logits_\(fw).npy",
                                      try TestSupport.readFile(Self.fixture("forward/small_logits_\(fw).npy")))
        }
        try TestSupport.writeFile(dir + "/reference.json", try TestSupport.readFile(Self.fixture("forward/reference.json")))
        let doc = try expectDocument(["verify", "--variant", "tiny", "--references", dir, "--json"],
                                     schema: "verify", status: 1)
        #expect(Self.member(doc, "passed") == .bool(false))
    }

    @Test func verifyImages() throws {
        let checkpoint = Self.fixture("pytorch/torchvision_micro_f32.pth")
        let images = Self.fixture("images/folders")
        let doc = try expectDocument(["verify", "--checkpoint", checkpoint, "--images", images, "--resize", "32",
                                      "--crop", "32", "--quiet", "--json"], schema: "verify-images", status: 0)
        #expect(Self.member(doc, "passed") == .bool(true))
        let below = try expectDocument(["verify", "--checkpoint", checkpoint, "--images", images, "--resize", "32",
                                        "--crop", "32", "--quiet", "--min-top1", "100.5", "--json"],
                                       schema: "verify-images", status: 1)
        #expect(Self.member(below, "passed") == .bool(false))
        try expectDocument(["verify", "--images", images, "--json"], schema: nil, status: 2)
        try expectDocument(["verify", "--checkpoint", checkpoint, "--images", scratch + "/no-such-dir", "--json"],
                           schema: nil, status: 2)
    }

    // MARK: the zoo: list, info, fetch

    @Test func listAndInfo() throws {
        let all = try expectDocument(["list", "--json"], schema: "list", status: 0, environment: ["CNZOO_HOME": scratch])
        guard case .array(let rows) = all else { Issue.record("list is not an array"); return }
        #expect(!rows.isEmpty)
        try expectDocument(["list", "--family", "convmixer", "--json"], schema: "list", status: 0,
                           environment: ["CNZOO_HOME": scratch])
        try expectDocument(["list", "--family", "no-such-family", "--json"], schema: nil, status: 2)
        for id in ["convnext_tiny", "convmixer_768_32"] {
            try expectDocument(["info", id, "--json"], schema: "info", status: 0, environment: ["CNZOO_HOME": scratch])
        }
        let unknown = try expectDocument(["info", "convnext_tinyy", "--json"], schema: nil, status: 2)
        #expect(Self.member(unknown, "error", "code") == .string("not-found"))
    }

    @Test func fetch() throws {
        // FetchTests' loopback server and manifest (one source per server behaviour).
        let served = try FetchTests()
        let ok = try expectDocument(["fetch", "test_tiny", "--source", "full", "--manifest-dir", served.manifests, "--json"],
                                    schema: "fetch", status: 0, environment: ["CNZOO_HOME": served.cache])
        #expect(Self.member(ok, "verified") == .string("full") && Self.member(ok, "already_present") == .bool(false))
        let again = try expectDocument(["fetch", "test_tiny", "--source", "full", "--manifest-dir", served.manifests,
                                        "--json"], schema: "fetch", status: 0, environment: ["CNZOO_HOME": served.cache])
        #expect(Self.member(again, "already_present") == .bool(true))
        let network = try expectDocument(["fetch", "test_tiny", "--source", "missing", "--manifest-dir", served.manifests,
                                          "--json"], schema: nil, status: 4, environment: ["CNZOO_HOME": served.cache])
        #expect(Self.member(network, "error", "code") == .string("network"))
        try expectDocument(["fetch", "test_tiny", "--source", "wrong", "--manifest-dir", served.manifests, "--json"],
                           schema: nil, status: 2, environment: ["CNZOO_HOME": served.cache])
        try expectDocument(["fetch", "test_tiny", "--source", "nope", "--manifest-dir", served.manifests, "--json"],
                           schema: nil, status: 2, environment: ["CNZOO_HOME": served.cache])
    }
}
