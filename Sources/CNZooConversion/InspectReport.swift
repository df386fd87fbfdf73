import CNZooCore
import CNZooFormats
import CNZooMapping

/// The `inspect --json` contract: what a checkpoint holds, from its headers only.
public struct InspectReport: Codable, Sendable {
    /// One tensor as stored.
    public struct Tensor: Codable, Sendable {
        public var name: String
        public var dtype: String
        public var shape: [Int]
        public var elements: Int
        public var bytes: Int
        /// `weight`, `ema`, `optimizer-state` or `bookkeeping` (`TensorRole.classify`, by name).
        public var role: String
    }
    /// Totals over every tensor.
    public struct Totals: Codable, Sendable {
        public var tensors: Int
        public var parameters: Int
        public var bytes: Int
    }
    /// What the detector read from names and shapes alone.
    public struct Architecture: Codable, Sendable {
        public var family: Family
        @NullWhenAbsent public var variant: String?
        public var summary: String
        @NullWhenAbsent public var numClasses: Int?
        /// Fraction of tensors that map exactly to the detected convention.
        public var confidence: Double
        public var prefix: String
        public var hints: [String]

        init(_ d: Detection) {
            family = d.family
            variant = d.variant
            summary = d.spec.summary
            numClasses = (d.spec as? ConvNeXtSpec)?.numClasses ?? (d.spec as? ConvMixerSpec)?.numClasses
            confidence = d.confidence
            prefix = d.prefix
            hints = d.hints
        }
    }

    public var file: String
    public var format: String
    public var container: String
    public var tensors: [Tensor]
    public var totals: Totals
    public var metadata: [String: String]
    /// The top-level key the weights were read from (training checkpoints), and the other keys holding weights.
    @NullWhenAbsent public var wrapperKey: String?
    public var otherWeightKeys: [String]
    public var extras: [CheckpointExtra]
    public var notes: [String]
    /// The detected naming convention (null if the names match none).
    @NullWhenAbsent public var convention: String?
    /// The detected architecture (null if the names match none).
    @NullWhenAbsent public var architecture: Architecture?

    /// Reads `path`'s headers and describes it.
    public static func make(_ path: String, read: ReadOptions = ReadOptions()) throws -> InspectReport {
        let (ckpt, detected) = try CheckpointIO.read(path: path, options: read)
        let names = ckpt.tensors.map(\.name), shapes = ckpt.tensors.map(\.shape)
        let arch = Detector.detect(names: names, shapes: shapes)
        let notes = ckpt.notes + (arch == nil ? Detector.wrappedModelHint(names: names, shapes: shapes).map { [$0] } ?? [] : [])
        return InspectReport(
            file: path,
            format: detected.checkpointFormat?.rawValue ?? detected.rawValue,
            container: detected.rawValue,
            tensors: ckpt.tensors.map {
                .init(name: $0.name, dtype: $0.dtype.rawValue, shape: $0.shape, elements: $0.elementCount,
                      bytes: $0.byteCount, role: TensorRole.classify($0.name).rawValue)
            },
            totals: .init(tensors: ckpt.tensors.count, parameters: ckpt.parameterCount, bytes: ckpt.byteCount),
            metadata: WrapperKeys.strip(ckpt.metadata), wrapperKey: WrapperKeys.used(ckpt),
            otherWeightKeys: WrapperKeys.others(ckpt), extras: ckpt.extras,
            notes: (FileNaming.inputNote(path: path, detected: detected).map { [$0] } ?? []) + notes,
            convention: arch?.convention.name, architecture: arch.map(Architecture.init))
    }
}
