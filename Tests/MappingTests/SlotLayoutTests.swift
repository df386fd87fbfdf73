import CNZooCore
import CNZooMapping
import CNZooFormats
import CNZooTestSupport
import Testing

/// A convention that lays kernels out as Keras does — `Conv2D` `(kh,kw,I,O)`, `Dense` `(in,out)` — under canonical
/// names with a `k.` prefix: a test double for the permuted-slot machinery, not the Keras convention.
private struct KerasLayoutConvention: NamingConvention, ConvNeXtNaming {
    var name: String { "keras-layout-test" }
    var framework: Framework { .neutral }
    var summary: String { "canonical names, Keras kernel layouts" }
    func numerics(family: Family) -> Numerics? { nil }
    func slots(for spec: any ArchitectureSpec) -> [Slot]? { (spec as? ConvNeXtSpec).map(convnextSlots) }
    func synthesizedBuffers(for spec: any ArchitectureSpec) -> [String: [SynthesizedBuffer]] { [:] }

    func convnextName(_ site: ConvNeXtSite, leaf: String) -> (name: String, alternates: [String]) {
        let canonical = CanonicalConvention().convnextName(site, leaf: leaf).name
        return ("k." + canonical, [])
    }

    func convnextLayout(_ site: ConvNeXtSite, canonical: [Int]) -> Slot.Layout {
        switch canonical.count {
        case 4: return .permute([2, 3, 1, 0])
        case 2: return .permute([1, 0])
        default: return .reshape
        }
    }
}

@Suite struct SlotLayoutTests {
    static let spec = Micro.convnext

    /// Reference transpose of a float32 tensor, element by element.
    static func transposed(_ t: TensorEntry, _ axes: [Int]) throws -> [UInt8] {
        let bytes = try t.data.readAll()
        let outShape = axes.map { t.shape[$0] }
        var strides = [Int](repeating: 1, count: t.shape.count)
        for k in stride(from: t.shape.count - 2, through: 0, by: -1) { strides[k] = strides[k + 1] * t.shape[k + 1] }
        var out: [UInt8] = []
        for flat in 0..<t.elementCount {
            var rest = flat, source = 0
            for k in stride(from: outShape.count - 1, through: 0, by: -1) {
                source += (rest % outShape[k]) * strides[axes[k]]
                rest /= outShape[k]
            }
            out += bytes[(source * 4)..<(source * 4 + 4)]
        }
        return out
    }

    @Test func encodeTransposesKernelsLazily() throws {
        let canonical = Micro.canonical(Self.spec)
        let keras = try Mapper.encode(canonical, to: KerasLayoutConvention(), spec: Self.spec)
        #expect(keras.tensors.count == canonical.tensors.count)
        var permuted = 0
        for (k, c) in zip(keras.tensors, canonical.tensors) {
            #expect(k.name == "k." + c.name)
            switch c.shape.count {
            case 4, 2:
                let axes = c.shape.count == 4 ? [2, 3, 1, 0] : [1, 0]
                #expect(k.shape == TensorPermutation.permutedShape(c.shape, axes), "\(k.name)")
                #expect(try k.data.readAll() == Self.transposed(c, axes), "\(k.name)")
                if case .permuted = k.data.source { permuted += 1 }
            default:
                #expect(k.shape == c.shape)
                #expect(try k.data.readAll() == c.data.readAll())
            }
        }
        // Every kernel whose permutation moves data is a lazy view (a depthwise [C,1,7,7] and a stem included).
        #expect(permuted > 0)
        #expect(permuted == canonical.tensors.filter { [2, 4].contains($0.shape.count) }.count)
    }

    /// Every writer streams the permuted views; reading back and decoding gives the canonical bytes.
    @Test(arguments: [CheckpointFormat.safetensors, .pytorch, .mindspore])
    func roundTripThroughAFileIsBitExact(_ format: CheckpointFormat) throws {
        let canonical = Micro.canonical(Self.spec)
        let keras = try Mapper.encode(canonical, to: KerasLayoutConvention(), spec: Self.spec)
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        try CheckpointIO.write(keras, format: format, to: dir + "/k")
        let (read, _) = try CheckpointIO.read(path: dir + "/k")
        #expect(try Micro.identical(read, keras))
        let (back, report) = try Mapper.decode(read, from: KerasLayoutConvention(), spec: Self.spec)
        #expect(report.isExact)
        #expect(try Micro.identical(back, canonical))
        // And onward to a reshaping convention: the same bytes torchvision gets from the canonical checkpoint.
        #expect(try Micro.identical(Mapper.encode(back, to: TorchVisionConvention(), spec: Self.spec),
                                    Micro.spelled(Self.spec, TorchVisionConvention())))
    }

    @Test func permutedSlotsRefuseCanonicalShapes() throws {
        // A canonical-layout Dense [out,in] under Keras names is not silently accepted: its bytes are not (in,out).
        let canonical = Micro.canonical(Self.spec)
        var wrong = try Mapper.encode(canonical, to: KerasLayoutConvention(), spec: Self.spec)
        let i = try #require(wrong.tensors.firstIndex { $0.name == "k.head.fc.weight" })
        let original = try #require(canonical.tensor(named: "head.fc.weight"))
        wrong.tensors[i].shape = original.shape
        wrong.tensors[i].data = original.data
        #expect(throws: MappingFailure.self) {
            try Mapper.decode(wrong, from: KerasLayoutConvention(), spec: Self.spec)
        }
    }

    @Test func slotLayoutValidatesItsPermutation() {
        let bad = Slot(name: "w", canonical: "w", shape: [3, 2], canonicalShape: [2, 3], layout: .permute([0, 0]),
                       role: .linearWeight)
        #expect(throws: CNZooError.self) {
            try bad.conventionData(fromCanonical: .bytes([UInt8](repeating: 0, count: 24)), dtype: .f32)
        }
        let unsized = Slot(name: "w", canonical: "w", shape: [3, 2], canonicalShape: [2, 3], layout: .permute([1, 0]),
                           role: .linearWeight)
        #expect(throws: CNZooError.self) {
            try unsized.canonicalData(fromConvention: .bytes([UInt8](repeating: 0, count: 6)),
                                      dtype: DType(rawValue: "Q7"))
        }
        #expect(unsized.accepts(shape: [3, 2]))
        #expect(!unsized.accepts(shape: [2, 3]))
        let reshape = Slot(name: "g", canonical: "g", shape: [4, 1, 1], canonicalShape: [4], role: .layerScale)
        #expect(reshape.accepts(shape: [4]) && reshape.accepts(shape: [4, 1, 1]))
    }
}
