import CNZooCore
import CNZooMapping

/// Spec-generated checkpoints with deterministic values (no Python, no files): every tensor's bytes differ, so a
/// mapping that swaps two tensors of the same shape is caught.
enum Micro {
    /// A tiny ConvNeXt: four stages of different depths and widths, kernel 7, patch 4, 5 classes.
    static let convnext = ConvNeXtSpec(depths: [2, 1, 3, 1], dims: [4, 6, 8, 10], numClasses: 5)
    /// The same without layer scale.
    static let convnextNoScale = ConvNeXtSpec(depths: [1, 1, 2, 1], dims: [4, 4, 8, 8], layerScale: false, numClasses: 3)
    /// A tiny ConvMixer.
    static let convmixer = ConvMixerSpec(dim: 6, depth: 3, kernelSize: 5, patchSize: 2, numClasses: 4)

    /// Canonical checkpoint for `spec`: f32 values derived from the tensor's index and element index.
    static func canonical(_ spec: any ArchitectureSpec, dtype: DType = .f32) -> Checkpoint {
        var tensors: [TensorEntry] = []
        for (i, p) in spec.parameters().enumerated() {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(p.elementCount * 4)
            for e in 0..<p.elementCount {
                let v = Float(i) + Float(e) / 1024 + 0.5
                withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
            }
            tensors.append(TensorEntry(name: p.name, dtype: dtype, shape: p.shape, data: .bytes(bytes)))
        }
        return Checkpoint(tensors: tensors)
    }

    /// `spec`'s checkpoint spelled in `convention`.
    static func spelled(_ spec: any ArchitectureSpec, _ convention: any NamingConvention) throws -> Checkpoint {
        try Mapper.encode(canonical(spec), to: convention, spec: spec)
    }

    /// Names and shapes of a checkpoint.
    static func header(_ c: Checkpoint) -> (names: [String], shapes: [[Int]]) {
        (c.tensors.map(\.name), c.tensors.map(\.shape))
    }

    /// Detects, decodes to canonical and encodes to `target`.
    static func convert(_ c: Checkpoint, to target: any NamingConvention,
                        options: MappingOptions = MappingOptions()) throws -> Checkpoint {
        let h = header(c)
        guard let d = Detector.detect(names: h.names, shapes: h.shapes) else { throw MicroError.undetected }
        var o = options
        o.prefix = d.prefix
        let (canon, _) = try Mapper.decode(c, from: d.convention, spec: d.spec, options: o)
        return try Mapper.encode(canon, to: target, spec: d.spec)
    }

    enum MicroError: Error { case undetected }

    /// Whether two checkpoints have the same names in the same order, dtypes, shapes and bytes.
    static func identical(_ a: Checkpoint, _ b: Checkpoint) throws -> Bool {
        guard a.tensors.count == b.tensors.count else { return false }
        for (x, y) in zip(a.tensors, b.tensors) {
            guard x.name == y.name, x.dtype == y.dtype, x.shape == y.shape,
                  try x.data.readAll() == y.data.readAll() else { return false }
        }
        return true
    }
}
