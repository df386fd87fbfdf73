import CNZooCore
import CNZooFormats
import CNZooMapping
import Foundation

/// Conversion without an architecture: every tensor is written under its own name, bit-exact, in the source
/// order — the way safetensors' own converter treats any model. Between torch and MindSpore naming the generic
/// MindSpore rules (`GenericMindSporeRules`) rename and reshape what MindSpore's cells name differently, and
/// every rule applied is reported. Used when no architecture is recognised, or when `--convention keep` asks.
enum FormatOnlyConversion {
    static func convert(_ request: ConversionRequest, source: Checkpoint, format: DetectedFormat,
                        started: Date) throws -> ConversionReport {
        let sourceFormat = format.checkpointFormat ?? CheckpointFormat(rawValue: format.rawValue)
        let fromMindSpore = sourceFormat == .mindspore
        let toMindSpore = request.target.format == .mindspore
        let crossing = !request.keepNames && fromMindSpore != toMindSpore
            && (request.target == .ms || request.target == .torch)
        var notes = source.notes
        notes.append(request.keepNames
                     ? "--convention keep: every tensor written under its own name, bit-exact"
                     : "no architecture recognised: format-only conversion, every tensor under its own name, bit-exact, "
                       + "in the source order")
        if !request.keepNames,
           let hint = Detector.wrappedModelHint(names: source.tensors.map(\.name), shapes: source.tensors.map(\.shape)) {
            notes.append(hint)
        }

        var out = Checkpoint(metadata: [:], extras: source.extras, notes: [])
        var dropped: [MappingReport.Dropped] = []
        for t in source.tensors {
            let kind = StateClassifier.classify(t.name)
            // Optimizer state never belongs in a weights file; bookkeeping scalars have no slot on the other
            // framework's side (BatchNorm counters are the rules' business).
            let drop = !request.load.keepOptimizer
                && (kind == .optimizer || (crossing && kind == .bookkeeping && !t.name.hasSuffix("num_batches_tracked")))
            if drop, let kind { dropped.append(.init(name: t.name, kind: kind)) } else { out.tensors.append(t) }
        }
        if !dropped.isEmpty {
            notes.append("dropped \(dropped.count) optimizer-state / bookkeeping tensors "
                         + "(\(dropped.prefix(3).map(\.name).joined(separator: ", "))\(dropped.count > 3 ? ", …" : "")); "
                         + "keep: --keep-optimizer")
        }

        var rules: [AppliedRule] = []
        var naming = "source"
        if crossing {
            (out, rules) = toMindSpore
                ? try GenericMindSporeRules.toMindSpore(out, kinds: request.layerKinds, file: request.input)
                : try GenericMindSporeRules.toTorch(out, kinds: request.layerKinds, file: request.input)
            naming = toMindSpore ? "mindspore-generic" : "torch-generic"
            let total = rules.reduce(0) { $0 + $1.count }
            notes.append("applied MindSpore's generic naming rules " + (toMindSpore ? "(torch → MindSpore)" : "(MindSpore → torch)")
                         + " to \(total) modules" + (rules.isEmpty ? " (none needed: Dense/Conv2d names are shared)" : ""))
        }
        if request.target == .safetensors {
            out.metadata = ["format": "pt", "convention": naming, "source_format": sourceFormat.rawValue,
                            "converter": "cnzoo \(CNZooVersion.string)"]
            if request.sourceHash { out.metadata["source_sha256"] = try SHA256.hash(file: request.input) }
        }
        let written = try Converter.write(&out, source: source, request: request, target: nil, notes: &notes)
        return ConversionReport(
            input: request.input, output: written.path,
            from: .init(format: sourceFormat.rawValue, wrapperKey: WrapperKeys.used(source),
                        otherWeightKeys: WrapperKeys.others(source), convention: "unknown",
                        architecture: Family(rawValue: "unknown"), variant: nil, spec: "unknown", confidence: 0,
                        prefix: ""),
            to: .init(format: request.target.format.rawValue, convention: naming, wrapKey: request.wrapKey),
            tensors: .init(mapped: 0, dropped: dropped.count, carried: out.tensors.count, written: out.tensors.count),
            dropped: dropped, carried: [], bytes: out.byteCount, seconds: Date().timeIntervalSince(started),
            dtype: written.dtype, notes: notes, mode: "format-only", rules: rules)
    }
}
