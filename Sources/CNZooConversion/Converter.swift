import CNZooCore
import CNZooFormats
import CNZooHuggingFace
import CNZooMapping
import CNZooONNX
import Foundation

/// What to convert, and how.
public struct ConversionRequest {
    /// The checkpoint to read (any format cnzoo reads; detected by content).
    public var input: String
    /// The format to write.
    public var target: ConversionTarget
    /// The naming convention to write; nil takes the target's default for the detected family.
    public var convention: Convention?
    /// The output path; nil puts the output next to the input with the target's extension (never over the input).
    public var output: String?
    /// Convert floating tensors to this dtype (round-to-nearest-even); nil keeps every dtype.
    public var dtype: DType?
    /// Replace an existing output.
    public var overwrite: Bool
    /// MindSpore: append the `crc_num` trailer.
    public var crc: Bool
    /// safetensors: record the input's SHA-256 in the metadata (one extra full read of the input).
    public var sourceHash: Bool
    /// How the input is read and mapped.
    public var load: LoadOptions
    /// Called as bytes are written, with (written so far, total).
    public var progress: ((Int, Int) -> Void)?
    /// ONNX: opset, batch axis, external data, ConvMixer activation (`overwrite` comes from this request).
    public var onnx: ONNXExportOptions
    /// Keep every tensor under its own name (`--convention keep`): a format-only conversion even when the
    /// architecture is known.
    public var keepNames = false
    /// The layer kind of modules whose tensors fit two MindSpore rules (`--layer MODULE=KIND`; format-only
    /// conversions between torch and MindSpore naming).
    public var layerKinds: [String: GenericLayerKind] = [:]
    /// Put this in front of every written tensor name (`--add-prefix`).
    public var addPrefix: String?
    /// Nest the written state dict under this top-level key (`--wrap-key model`); PyTorch outputs only, since the
    /// other formats hold one flat name → tensor map.
    public var wrapKey: String?
    /// transformers model folder output: split the weights into shards of at most this many bytes plus an index
    /// (`--max-shard-size`).
    public var maxShardSize: Int?
    /// transformers model folder output: class names for `config.json`'s `id2label` when the source carries none of
    /// its own (the CLI passes the zoo's ImageNet-1k names); used only when their count is the head's.
    public var classNames: [String]?

    public init(input: String, target: ConversionTarget, convention: Convention? = nil, output: String? = nil,
                dtype: DType? = nil, overwrite: Bool = false, crc: Bool = false, sourceHash: Bool = false,
                load: LoadOptions = LoadOptions(), progress: ((Int, Int) -> Void)? = nil,
                onnx: ONNXExportOptions = ONNXExportOptions()) {
        self.input = input
        self.target = target
        self.convention = convention
        self.output = output
        self.dtype = dtype
        self.overwrite = overwrite
        self.crc = crc
        self.sourceHash = sourceHash
        self.load = load
        self.progress = progress
        self.onnx = onnx
    }
}

/// What a conversion did: the `convert --json` contract (snake_case when encoded with `CNZooJSON`).
public struct ConversionReport: Codable, Sendable {
    /// The source as detected.
    public struct Source: Codable, Sendable {
        public var format: String
        /// The top-level key the weights were read from (training checkpoints), and the other keys holding weights.
        @NullWhenAbsent public var wrapperKey: String?
        public var otherWeightKeys: [String]
        public var convention: String
        public var architecture: Family
        @NullWhenAbsent public var variant: String?
        public var spec: String
        public var confidence: Double
        public var prefix: String
    }
    /// The output's format and naming.
    public struct Destination: Codable, Sendable {
        public var format: String
        public var convention: String
        /// The top-level key the state dict was nested under (`--wrap-key`), null for a bare state dict.
        @NullWhenAbsent public var wrapKey: String?
    }
    /// Tensor counts.
    public struct Tensors: Codable, Sendable {
        public var mapped: Int
        public var dropped: Int
        public var carried: Int
        public var written: Int
    }
    /// The dtype change asked for with `--dtype`.
    public struct DTypeChange: Codable, Sendable {
        public var to: String
        public var converted: Int
        public var rounding: String
    }
    public var input: String
    public var output: String
    public var from: Source
    public var to: Destination
    public var tensors: Tensors
    public var dropped: [MappingReport.Dropped]
    public var carried: [String]
    public var bytes: Int
    public var seconds: Double
    @NullWhenAbsent public var dtype: DTypeChange?
    public var notes: [String]
    /// Things the user may not have meant (an output extension that does not match the format written).
    public var warnings: [String] = []
    /// `mapped` (architecture known, strict mapping through canonical names) or `format-only` (every tensor under
    /// its own name, or renamed only by the generic MindSpore rules listed in `rules`).
    public var mode: String
    /// The generic MindSpore naming rules applied (format-only conversions between torch and MindSpore).
    public var rules: [AppliedRule]
}

/// The conversion pipeline: read → detect → canonical → target names → optional cast → metadata → streaming,
/// atomic write → report.
public enum Converter {
    /// Converts `request.input` and returns the report (nothing is written when any step refuses).
    public static func convert(_ request: ConversionRequest) throws -> ConversionReport {
        var report = try convertUnchecked(request)
        if let w = request.output.flatMap({ FileNaming.outputWarning(path: $0, target: request.target) }) {
            report.warnings.append(w)
        }
        if let detected = try? FormatDetector.detect(path: request.input),
           let note = FileNaming.inputNote(path: request.input, detected: detected) {
            report.notes.insert(note, at: 0)
        }
        return report
    }

    /// `convert` without the checks on the file names.
    static func convertUnchecked(_ request: ConversionRequest) throws -> ConversionReport {
        let started = Date()
        try checkWrapKey(request)
        let (raw, format) = try CheckpointLoader.read(request.input, options: request.load)
        let detection: Detection?
        if request.keepNames {
            guard request.target != .onnx else {
                throw CNZooError(.usage, "an ONNX export needs the architecture; --convention keep does not apply")
            }
            detection = nil
        } else if request.load.from != nil || request.convention != nil || request.target == .onnx
                    || HubConfig(metadata: raw.metadata) != nil {
            // ONNX needs the architecture, and a model folder's config.json names it: a detection failure is the
            // error, not a format-only conversion.
            detection = try CheckpointLoader.detect(raw, from: request.load.from, file: request.input)
        } else {
            detection = try? CheckpointLoader.detect(raw, from: nil, file: request.input)
        }
        guard let d = detection else {
            return try FormatOnlyConversion.convert(request, source: raw, format: format, started: started)
        }
        // BatchNorm step counters travel with the weights (MindSpore files carry them as extra entries); an ONNX
        // graph has no place for them.
        var load = request.load
        load.keepBuffers = request.target != .onnx
        let loaded = try CheckpointLoader.map(raw, format: format, detection: d, path: request.input, options: load)
        if request.target == .onnx { return try exportONNX(request, loaded, raw: raw, started: started) }
        let targetID = request.convention
            ?? (request.target.keepsSourceNaming ? d.convention.id : request.target.defaultConvention(for: d.family))
        guard let target = Conventions.convention(targetID) else {
            throw CNZooError(.usage, "unknown convention '\(targetID)' (known: \(Convention.helpList))")
        }
        guard target.slots(for: d.spec) != nil else {
            throw CNZooError(.usage, "the \(target.name) convention (\(target.summary)) cannot name this checkpoint: "
                             + d.spec.summary, file: request.input)
        }
        var out = try Mapper.encode(loaded.canonical, to: target, spec: d.spec)
        // The report's notes, then what encoding added (buffers synthesised or dropped).
        var notes = loaded.report.notes + out.notes.dropFirst(loaded.canonical.notes.count)
        out.metadata = request.target == .safetensors ? try safetensorsMetadata(loaded, target: target, request) : [:]
        let folder = try modelFolder(request, loaded: loaded, target: target)
        guard folder == nil || request.wrapKey == nil else {
            throw CNZooError(.usage, "--wrap-key: a transformers model folder holds its weights as a flat state dict "
                             + "(what from_pretrained reads); it cannot nest them under a key")
        }
        guard folder != nil || request.maxShardSize == nil else {
            throw CNZooError(.usage, "--max-shard-size applies to transformers model folders (--to safetensors or "
                             + "--to torch with --convention transformers)")
        }
        let written = try write(&out, source: loaded.source, request: request, target: target, notes: &notes,
                                folder: folder)

        return ConversionReport(
            input: request.input, output: written.path,
            from: .init(format: loaded.formatName, wrapperKey: raw.metadata[WrapperKeys.usedKey],
                        otherWeightKeys: WrapperKeys.others(raw), convention: d.convention.name,
                        architecture: d.family, variant: d.variant, spec: d.spec.summary, confidence: d.confidence,
                        prefix: d.prefix),
            to: .init(format: request.target.format.rawValue, convention: target.name, wrapKey: request.wrapKey),
            tensors: .init(mapped: loaded.report.mapped, dropped: loaded.report.dropped.count,
                           carried: loaded.report.carried.count, written: out.tensors.count),
            dropped: loaded.report.dropped, carried: loaded.report.carried, bytes: out.byteCount,
            seconds: Date().timeIntervalSince(started), dtype: written.dtype, notes: notes, mode: "mapped", rules: [])
    }

    /// The shared tail of every conversion: optional prefix and dtype cast, non-tensor values dropped (said out
    /// loud), streaming atomic write. Returns the output path and the dtype change.
    static func write(_ out: inout Checkpoint, source: Checkpoint, request: ConversionRequest,
                      target: (any NamingConvention)?, notes: inout [String], folder: HuggingFaceFolderOutput? = nil) throws
        -> (path: String, dtype: ConversionReport.DTypeChange?) {
        if let p = request.addPrefix, !p.isEmpty {
            out.tensors = out.tensors.map { t in
                var t = t
                t.name = p + t.name
                return t
            }
            notes.append("added the prefix '\(p)' to \(out.tensors.count) tensor names (--add-prefix)")
        }
        var dtypeChange: ConversionReport.DTypeChange?
        if let want = request.dtype {
            var converted = 0
            out.tensors = out.tensors.map { t in
                let c = DTypeCast.cast(t, to: want)
                if c.dtype != t.dtype { converted += 1 }
                return c
            }
            dtypeChange = .init(to: want.rawValue, converted: converted, rounding: "nearest-even")
            notes.append("converted \(converted) floating tensors to \(want.rawValue) (round-to-nearest-even); "
                         + "integer tensors unchanged")
        }
        let values = WrapperKeys.plainExtras(source)
        if !values.isEmpty && !request.load.keepOptimizer {
            notes.append("dropped \(values.count) non-tensor values "
                         + "(\(values.prefix(4).map(\.name).joined(separator: ", ")))")
        }
        if !request.load.keepOptimizer { out.extras = [] }
        out.notes = []

        if var folder {
            let dir = try folderOutputPath(request)
            if case let .object(members) = folder.config, let want = request.dtype {
                folder.config = .object(members.map { $0.0 == "torch_dtype" ? ($0.0, .string(HubConfig.torchDTypeName(want))) : $0 })
            }
            let files = try HuggingFaceFolder.write(out, folder, to: dir, overwrite: request.overwrite,
                                                    files: Formats.huggingFaceFiles)
            notes.append("model folder: " + files.joined(separator: ", "))
            return (dir, dtypeChange)
        }
        let outPath = try outputPath(request, suffix: target?.name ?? "converted")
        let releaser = MappedPageReleaser(source)
        var options = WriteOptions(overwrite: request.overwrite, crc: request.crc)
        if let key = request.wrapKey {
            options.wrapKey = key
            notes.append("the state dict is nested under the top-level key '\(key)' (--wrap-key; read it back with --key \(key))")
        }
        options.progress = { done, total in
            releaser.release()
            request.progress?(done, total)
        }
        try CheckpointIO.write(out, format: request.target.format, to: outPath, options: options)
        releaser.release()
        return (outPath, dtypeChange)
    }

    /// `--wrap-key` needs a format that nests: a PyTorch file's pickle can hold a dict of state dicts, while
    /// safetensors, MindSpore `.ckpt`, `.npz`, Keras and ONNX files hold one flat name → tensor map. Checked before
    /// anything is read or written.
    static func checkWrapKey(_ request: ConversionRequest) throws {
        guard let key = request.wrapKey else { return }
        guard !key.isEmpty else { throw CNZooError(.usage, "--wrap-key needs a non-empty key (e.g. model)") }
        guard request.target.format == .pytorch else {
            throw CNZooError(.usage, "--wrap-key '\(key)': a \(request.target.format.rawValue) file holds one flat name → "
                             + "tensor map and cannot nest the weights under a key; only --to torch can "
                             + "(--add-prefix '\(key).' puts the key in front of every name instead)")
        }
    }

    /// `--to onnx`: the graph from the detected spec with the source convention's numerics, the weights as float32
    /// initializers named in the source convention (or `request.convention`).
    static func exportONNX(_ request: ConversionRequest, _ loaded: LoadedCheckpoint, raw: Checkpoint,
                           started: Date) throws -> ConversionReport {
        let d = loaded.detection
        var naming = d.convention
        if let id = request.convention {
            guard let c = Conventions.convention(id) else {
                throw CNZooError(.usage, "unknown convention '\(id)' (known: \(Convention.helpList))")
            }
            naming = c
        }
        guard request.dtype == nil || request.dtype == .f32 else {
            throw CNZooError(.usage, "ONNX initializers are written as float32; --dtype \(request.dtype!) is not available")
        }
        let outPath = try outputPath(request, suffix: naming.name)
        var options = request.onnx
        options.overwrite = request.overwrite
        let summary = try ONNXExport.write(canonical: loaded.canonical, detection: d, naming: naming,
                                           numerics: d.convention.numerics(family: d.family, metadata: raw.metadata),
                                           sourceFile: request.input, cnzooVersion: CNZooVersion.string,
                                           options: options, to: outPath)
        var notes = loaded.report.notes
        notes.append("ONNX opset \(options.opset), IR version \(ONNXExport.irVersion(opset: options.opset)), "
                     + "\(summary.nodes) nodes, batch \(options.batch.map(String.init) ?? "dynamic")"
                     + (summary.externalDataPath.map { "; weights in \($0) (\(summary.externalDataBytes) bytes)" } ?? ""))
        return ConversionReport(
            input: request.input, output: outPath,
            from: .init(format: loaded.formatName, wrapperKey: raw.metadata[WrapperKeys.usedKey],
                        otherWeightKeys: WrapperKeys.others(raw), convention: d.convention.name,
                        architecture: d.family, variant: d.variant, spec: d.spec.summary, confidence: d.confidence,
                        prefix: d.prefix),
            to: .init(format: "onnx", convention: naming.name, wrapKey: nil),
            tensors: .init(mapped: loaded.report.mapped, dropped: loaded.report.dropped.count,
                           carried: loaded.report.carried.count, written: summary.initializers),
            dropped: loaded.report.dropped, carried: loaded.report.carried,
            bytes: summary.modelBytes + summary.externalDataBytes, seconds: Date().timeIntervalSince(started),
            dtype: nil, notes: notes, mode: "mapped", rules: [])
    }

    /// What a conversion to the transformers convention writes: a model folder (`config.json` from the spec, the
    /// source's numerics and, from a transformers source, its labels) for `--to safetensors` / `--to torch` when the
    /// request names the convention; nil otherwise (a transformers source kept in its names by `--to safetensors` is
    /// one file).
    static func modelFolder(_ request: ConversionRequest, loaded: LoadedCheckpoint,
                            target: any NamingConvention) throws -> HuggingFaceFolderOutput? {
        guard target is TransformersConvention, request.convention != nil,
              request.target == .safetensors || request.target == .torch else {
            return nil
        }
        let d = loaded.detection
        let numerics = d.convention.numerics(family: d.family, metadata: loaded.source.metadata) ?? .pytorch
        let source = HubConfig(metadata: loaded.source.metadata)
        let own = source?.library == .transformers ? source?.labels : nil
        let config = try HubConfig.transformersConfig(d.spec, numerics: numerics, labels: own ?? request.classNames)
        return HuggingFaceFolderOutput(format: request.target.format, config: config, maxShardSize: request.maxShardSize)
    }

    /// A model folder's path: the one asked for (never the input), or the input's path without its extension plus
    /// `-transformers`.
    static func folderOutputPath(_ request: ConversionRequest) throws -> String {
        if let output = request.output {
            guard !sameFile(output, request.input) else {
                throw CNZooError(.usage, "the output would overwrite the input", file: output)
            }
            guard !AtomicFileWriter.isStream(output) else {
                throw CNZooError(.usage, "a transformers model folder is several files (config.json and the weights) "
                                 + "and cannot go to a stream; name a folder", file: output)
            }
            return output
        }
        let url = URL(fileURLWithPath: request.input).standardizedFileURL
        return url.deletingPathExtension().path + "-transformers"
    }

    /// safetensors metadata: what the file holds and where it came from.
    static func safetensorsMetadata(_ loaded: LoadedCheckpoint, target: any NamingConvention,
                                    _ request: ConversionRequest) throws -> [String: String] {
        let d = loaded.detection
        var m: [String: String] = [
            "format": "pt",
            "architecture": d.family.rawValue,
            "spec": d.spec.summary,
            "convention": target.name,
            "source_convention": d.convention.name,
            "source_format": loaded.formatName,
            "converter": "cnzoo \(CNZooVersion.string)",
        ]
        if let v = d.variant { m["variant"] = v }
        if request.sourceHash { m["source_sha256"] = try SHA256.hash(file: request.input) }
        return m
    }

    /// The output path: the one asked for (never the input itself), or the input's path with the target's
    /// extension (and `suffix`, the convention's name, before it when that would be the input).
    public static func outputPath(_ request: ConversionRequest, suffix: String) throws -> String {
        if let output = request.output {
            guard !sameFile(output, request.input) else {
                throw CNZooError(.usage, "the output would overwrite the input", file: output)
            }
            return output
        }
        let stem = URL(fileURLWithPath: request.input).deletingPathExtension()
        var candidate = stem.appendingPathExtension(request.target.fileExtension).path
        if sameFile(candidate, request.input) {
            candidate = stem.appendingPathExtension(suffix).appendingPathExtension(request.target.fileExtension).path
        }
        return candidate
    }

    static func sameFile(_ a: String, _ b: String) -> Bool {
        URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath().path
            == URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
