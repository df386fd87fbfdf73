import CNZooCore
import CNZooMapping

/// What to name in an exported model's `metadata_props` (keys `cnzoo.source_file`, `cnzoo.convention`,
/// `cnzoo.variant`, `cnzoo.version`).
public struct ONNXExportMetadata: Sendable, Equatable {
    /// The source checkpoint's file name (stored without its directory, so the bytes do not depend on where it lay).
    public var sourceFile: String
    /// The naming convention the source used (`torchvision`, `mindcv`, ...).
    public var convention: String
    /// The variant (`convnext_tiny`), or the spec summary when it is not a published size.
    public var variant: String
    /// cnzoo's version (also the model's `producer_version`).
    public var cnzooVersion: String

    public init(sourceFile: String, convention: String, variant: String, cnzooVersion: String) {
        self.sourceFile = sourceFile
        self.convention = convention
        self.variant = variant
        self.cnzooVersion = cnzooVersion
    }
}

/// Options of an ONNX export.
public struct ONNXExportOptions: Sendable {
    /// When initializers go to a separate `<output>.data` file.
    public enum ExternalData: String, Sendable {
        /// Only when the model would pass protobuf's 2 GiB message limit.
        case automatic
        /// Always (useful to test the path on a small model).
        case always
        /// Never: fail instead when the model is too large for one file.
        case never
    }

    /// The default opset: the first with the `Gelu` op (onnxruntime ≥ 1.16 runs it).
    public static let defaultOpset = 20
    /// Opsets cnzoo writes: `LayerNormalization` needs 17; onnxruntime 1.32 runs up to 23.
    public static let supportedOpsets = 17...23

    /// The ONNX opset (default 20).
    public var opset: Int
    /// A fixed batch size, or nil for a symbolic `batch` axis (the default).
    public var batch: Int?
    public var externalData: ExternalData
    /// ConvMixer: the activation when the spec's own is not right (a custom configuration's activation cannot be
    /// read from its weights).
    public var activation: Activation?
    /// Replace an existing output.
    public var overwrite: Bool

    public init(opset: Int = ONNXExportOptions.defaultOpset, batch: Int? = nil,
                externalData: ExternalData = .automatic, activation: Activation? = nil, overwrite: Bool = false) {
        self.opset = opset
        self.batch = batch
        self.externalData = externalData
        self.activation = activation
        self.overwrite = overwrite
    }
}

/// What an export wrote.
public struct ONNXExportSummary: Sendable {
    /// The model file.
    public var path: String
    /// Its size in bytes.
    public var modelBytes: Int
    /// The external data file and its size, when the weights went there.
    public var externalDataPath: String?
    public var externalDataBytes: Int
    /// Number of initializers (= source tensors) and graph nodes.
    public var initializers: Int
    public var nodes: Int
}

/// Writes a ConvNeXt or ConvMixer checkpoint as a runnable ONNX model, with neither PyTorch nor MindSpore installed.
///
/// The graph comes from the architecture spec and the source framework's numerics (GELU form, LayerNorm eps
/// including MindSpore Vision's head eps, BatchNorm eps); the weights are the source tensors, as float32
/// initializers under the source convention's names and shapes. The file is written atomically and its bytes
/// depend only on the inputs.
public enum ONNXExport {
    /// The largest model file protobuf can parse (2 GiB − 1); beyond it the weights go to external data.
    public static let protobufLimit = Int(Int32.max)

    /// The IR version that goes with `opset` (the onnx package's version table).
    public static func irVersion(opset: Int) -> Int {
        switch opset {
        case ...18: return 8
        case 19...20: return 9
        case 21...22: return 10
        default: return 11
        }
    }

    /// Builds the graph for a canonical checkpoint of `spec` (ConvNeXt or ConvMixer). With `convention`, the
    /// initializers carry that convention's names and shapes (what the source file holds), else canonical ones.
    public static func graph(canonical: Checkpoint, spec: any ArchitectureSpec, numerics: Numerics,
                             convention: (any NamingConvention)?, options: ONNXExportOptions = ONNXExportOptions()) throws -> ONNXGraph {
        guard ONNXExportOptions.supportedOpsets.contains(options.opset) else {
            throw CNZooError(.usage, "opset \(options.opset) is not supported: cnzoo writes opsets "
                                 + "\(ONNXExportOptions.supportedOpsets.lowerBound)–\(ONNXExportOptions.supportedOpsets.upperBound)"
                                 + " (LayerNormalization needs 17)")
        }
        let batch: ONNXGraph.Dimension
        if let n = options.batch {
            guard n >= 1 else { throw CNZooError(.usage, "--batch must be at least 1 (or 'dynamic')") }
            batch = .fixed(n)
        } else {
            batch = .symbolic("batch")
        }
        var b = try GraphBuilder(name: spec.family.rawValue, canonical: canonical, spec: spec, convention: convention,
                                 numerics: numerics, opset: options.opset)
        switch spec {
        case let s as ConvNeXtSpec: try ConvNeXtGraph.build(s, &b, batch: batch)
        case var s as ConvMixerSpec:
            if let a = options.activation { s.activation = a }
            try ConvMixerGraph.build(s, &b, batch: batch)
        default: throw CNZooError(.unsupported, "no ONNX graph builder for the \(spec.family) family")
        }
        let used = Set(b.graph.initializers.map(\.tensor.name))
        if let stray = canonical.tensors.first(where: { !used.contains($0.name) }) {
            throw CNZooError(.mapping, "tensor is not part of the \(spec.family) graph", tensor: stray.name)
        }
        return b.finished
    }

    /// Builds the graph of a checkpoint already mapped to canonical names (`Mapper.decode` with `detection`'s
    /// convention) with `numerics` (the source convention's own when nil) and writes it to `path`. The initializers
    /// carry `naming`'s names and shapes (the source convention's by default, so reading the export back gives the
    /// source tensors).
    @discardableResult
    public static func write(canonical: Checkpoint, detection: Detection, naming: (any NamingConvention)? = nil,
                             numerics: Numerics? = nil,
                             sourceFile: String, cnzooVersion: String, options: ONNXExportOptions = ONNXExportOptions(),
                             to path: String) throws -> ONNXExportSummary {
        guard let numerics = numerics ?? detection.convention.numerics(family: detection.family) else {
            throw CNZooError(.usage, "the \(detection.convention.name) convention names no numerics for \(detection.family)")
        }
        let g = try graph(canonical: canonical, spec: detection.spec, numerics: numerics,
                          convention: naming ?? detection.convention, options: options)
        let variant = detection.variant ?? detection.spec.summary
        let meta = ONNXExportMetadata(sourceFile: sourceFile, convention: detection.convention.name, variant: variant,
                                      cnzooVersion: cnzooVersion)
        return try write(g, numerics: numerics, metadata: meta, options: options, to: path)
    }

    /// Writes `graph` to `path` atomically: the graph packed by protobuf-c, each initializer's header packed by
    /// protobuf-c and its float32 data streamed after it (or into `<path>.data` when external), tensor by tensor.
    @discardableResult
    public static func write(_ graph: ONNXGraph, numerics: Numerics, metadata: ONNXExportMetadata,
                             options: ONNXExportOptions = ONNXExportOptions(), to path: String) throws -> ONNXExportSummary {
        let base = path.split(separator: "/").last.map(String.init) ?? path
        let sourceBase = metadata.sourceFile.split(separator: "/").last.map(String.init) ?? metadata.sourceFile
        let props: [(String, String)] = [
            ("cnzoo.source_file", sourceBase), ("cnzoo.convention", metadata.convention),
            ("cnzoo.variant", metadata.variant), ("cnzoo.version", metadata.cnzooVersion),
            ("cnzoo.numerics", numerics.description),
        ]
        let model = ProtoPacking.packModel(irVersion: irVersion(opset: options.opset), opset: options.opset,
                                           producerVersion: metadata.cnzooVersion, metadata: props)
        let graphBytes = ProtoPacking.packGraph(graph)
        let sizes = try graph.initializers.map { i -> Int in
            guard let n = Checked.elementCount(i.shape), let bytes = Checked.multiply(n, 4) else {
                throw CNZooError(.malformed, "shape \(i.shape) is too large", tensor: i.name)
            }
            return bytes
        }

        func inlineHeaders() -> [[UInt8]] {
            graph.initializers.map { ProtoPacking.packTensorHeader(name: $0.name, shape: $0.shape, placement: .inline) }
        }
        func tensorRecordLength(header: [UInt8], data: Int?) -> Int {
            let body = header.count + (data.map { ProtoPacking.lengthPrefix(field: 9, length: $0).count + $0 } ?? 0)
            return ProtoPacking.lengthPrefix(field: 5, length: body).count + body
        }
        var headers = inlineHeaders()
        var graphLength = graphBytes.count + zip(headers, sizes).reduce(0) { $0 + tensorRecordLength(header: $1.0, data: $1.1) }
        var total = model.count + ProtoPacking.lengthPrefix(field: 7, length: graphLength).count + graphLength
        var external: (path: String, location: String, offsets: [Int], size: Int)?
        if options.externalData == .always || (options.externalData == .automatic && total > protobufLimit) {
            let location = base + ".data"
            var offsets: [Int] = []
            var offset = 0
            for s in sizes {
                offsets.append(offset)
                offset += (s + 4095) / 4096 * 4096  // page-aligned, so runtimes can map each tensor
            }
            external = (path + ".data", location, offsets, offset)
            headers = zip(graph.initializers, zip(offsets, sizes)).map { i, placement in
                ProtoPacking.packTensorHeader(name: i.name, shape: i.shape,
                                              placement: .external(location: location, offset: placement.0,
                                                                   length: placement.1))
            }
            graphLength = graphBytes.count + headers.reduce(0) { $0 + tensorRecordLength(header: $1, data: nil) }
            total = model.count + ProtoPacking.lengthPrefix(field: 7, length: graphLength).count + graphLength
        }
        guard total <= protobufLimit else {
            throw CNZooError(.unsupported, "the model takes \(total) bytes, more than protobuf's 2 GiB limit; "
                                 + "allow external data", file: path)
        }

        var dataWriter: AtomicFileWriter?
        if external != nil && AtomicFileWriter.isStream(path) {
            throw CNZooError(.usage, "the weights go to a second file next to the model (<output>.data), which a "
                             + "stream does not have; name a regular file, or --external-data inline", file: path)
        }
        if let external {
            let w = try AtomicFileWriter(path: external.path, overwrite: options.overwrite)
            for (i, init_) in graph.initializers.enumerated() {
                try writeFloat32(init_, to: w)
                try w.write(repeating: 0, count: (i + 1 < sizes.count ? external.offsets[i + 1] : external.size)
                                - external.offsets[i] - sizes[i])
            }
            dataWriter = w
        }
        let w = try AtomicFileWriter(path: path, overwrite: options.overwrite)
        try w.write(model)
        try w.write(ProtoPacking.lengthPrefix(field: 7, length: graphLength))
        try w.write(graphBytes)
        for (i, init_) in graph.initializers.enumerated() {
            let inline = external == nil
            let body = headers[i].count + (inline ? ProtoPacking.lengthPrefix(field: 9, length: sizes[i]).count + sizes[i] : 0)
            try w.write(ProtoPacking.lengthPrefix(field: 5, length: body))
            try w.write(headers[i])
            if inline {
                try w.write(ProtoPacking.lengthPrefix(field: 9, length: sizes[i]))
                try writeFloat32(init_, to: w)
            }
        }
        guard w.bytesWritten == total else {
            throw CNZooError(.io, "wrote \(w.bytesWritten) bytes, planned \(total)", file: path)
        }
        try dataWriter?.commit()
        try w.commit()
        return ONNXExportSummary(path: path, modelBytes: total, externalDataPath: external?.path,
                                 externalDataBytes: external?.size ?? 0, initializers: graph.initializers.count,
                                 nodes: graph.nodes.count)
    }

    /// Streams one initializer's data as little-endian float32 (the source bytes as they are when already f32,
    /// else converted one tensor at a time).
    private static func writeFloat32(_ i: ONNXGraph.Initializer, to w: AtomicFileWriter) throws {
        let t = i.tensor
        guard let width = t.dtype.byteWidth, let n = Checked.elementCount(t.shape), n * width == t.data.byteCount else {
            throw CNZooError(.malformed, "\(t.dtype) \(t.shape) does not match its \(t.data.byteCount) bytes", tensor: t.name)
        }
        if t.dtype == .f32 {
            try w.write(t.data)
        } else {
            try w.write(try t.data.withContiguousBytes { DTypeCast.convert($0, from: t.dtype, to: .f32) })
        }
    }
}
