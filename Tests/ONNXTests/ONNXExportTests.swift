import CNZooCore
import CNZooFormats
import CNZooMapping
import CNZooONNX
import CNZooTestSupport
import CONNXProto
import Foundation
import Testing

/// A parsed model (protobuf-c's own unpack of what cnzoo wrote), freed on deinit.
final class UnpackedModel {
    let model: UnsafeMutablePointer<Onnx__ModelProto>

    init(path: String) throws {
        let bytes = try TestSupport.readFile(path)
        let m = bytes.withUnsafeBufferPointer { onnx__model_proto__unpack(nil, $0.count, $0.baseAddress) }
        model = try #require(m, "protobuf-c could not unpack \(path)")
    }

    deinit { onnx__model_proto__free_unpacked(model, nil) }

    var graph: Onnx__GraphProto { model.pointee.graph.pointee }

    var nodes: [Onnx__NodeProto] { (0..<graph.n_node).map { graph.node[$0]!.pointee } }

    var opTypes: [String] { nodes.map { String(cString: $0.op_type) } }

    func attributes(_ n: Onnx__NodeProto) -> [String: Onnx__AttributeProto] {
        var out: [String: Onnx__AttributeProto] = [:]
        for i in 0..<n.n_attribute { out[String(cString: n.attribute[i]!.pointee.name)] = n.attribute[i]!.pointee }
        return out
    }

    var initializerNames: [String] { (0..<graph.n_initializer).map { String(cString: graph.initializer[$0]!.pointee.name) } }

    var metadata: [String: String] {
        var out: [String: String] = [:]
        for i in 0..<model.pointee.n_metadata_props {
            let e = model.pointee.metadata_props[i]!.pointee
            out[String(cString: e.key)] = String(cString: e.value)
        }
        return out
    }

    /// The input's dimensions as strings (`batch`, `3`, ...).
    var inputDims: [String] {
        let shape = graph.input[0]!.pointee.type.pointee.tensor_type.pointee.shape.pointee
        return (0..<shape.n_dim).map { i in
            let d = shape.dim[i]!.pointee
            return d.value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM ? String(cString: d.dim_param)
                : String(d.dim_value)
        }
    }
}

enum ONNXFixtures {
    /// (fixture, convention, GELU form, head LayerNorm eps) for the micro ConvNeXt fixtures the frameworks wrote.
    static let convnext: [(String, String, String, Float)] = [
        ("pytorch/torchvision_micro_f32.pth", "torchvision", "none", 1e-6),
        ("mindspore/micro_mindcv_f32.ckpt", "mindcv", "tanh", 1e-6),
        ("mindspore/micro_mindvision_f32.ckpt", "mindvision", "tanh", 1e-7),
    ]

    static func export(_ fixture: String, to path: String, options: ONNXExportOptions = ONNXExportOptions()) throws
        -> (Checkpoint, ONNXExportSummary) {
        let (ckpt, _) = try CheckpointIO.read(path: TestSupport.fixture(fixture))
        let detection = try #require(Detector.detect(names: ckpt.tensors.map(\.name), shapes: ckpt.tensors.map(\.shape)))
        let (canonical, _) = try Mapper.decode(ckpt, from: detection.convention, spec: detection.spec)
        let summary = try ONNXExport.write(canonical: canonical, detection: detection, sourceFile: fixture,
                                           cnzooVersion: "test", options: options, to: path)
        return (ckpt, summary)
    }

    static func bytes(_ t: TensorEntry) throws -> [UInt8] {
        try t.dtype == .f32 ? t.data.readAll() : t.data.withContiguousBytes { DTypeCast.convert($0, from: t.dtype, to: .f32) }
    }
}

@Suite struct ONNXExportTests {
    @Test(arguments: ONNXFixtures.convnext.map { $0 })
    func convnextGraphCarriesTheSourceNumericsAndNames(_ c: (String, String, String, Float)) throws {
        let (fixture, convention, gelu, headEps) = c
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let (source, summary) = try ONNXFixtures.export(fixture, to: dir + "/m.onnx")
        let m = try UnpackedModel(path: summary.path)
        #expect(m.model.pointee.ir_version == 9)
        #expect(m.model.pointee.opset_import[0]!.pointee.version == 20)
        #expect(String(cString: m.model.pointee.producer_name) == "cnzoo")
        #expect(m.inputDims == ["batch", "3", "height", "width"])
        #expect(Set(m.initializerNames) == Set(source.tensors.map(\.name)))
        #expect(m.metadata["cnzoo.convention"] == convention)
        #expect(m.metadata["cnzoo.source_file"] == fixture.split(separator: "/").last.map(String.init))
        #expect(m.metadata["cnzoo.version"] == "test")
        let gelus = m.nodes.filter { String(cString: $0.op_type) == "Gelu" }
        #expect(gelus.count == 5)  // micro depths [1,1,2,1]
        for g in gelus {
            let a = try #require(m.attributes(g)["approximate"])
            #expect(String(decoding: UnsafeRawBufferPointer(start: a.s.data, count: a.s.len), as: UTF8.self) == gelu)
        }
        let norms = m.nodes.filter { String(cString: $0.op_type) == "LayerNormalization" }
        #expect(norms.count == 1 + 3 + 5 + 1)
        let eps = norms.map { m.attributes($0)["epsilon"]!.f }
        #expect(eps.last == headEps)
        #expect(eps.dropLast().allSatisfy { $0 == 1e-6 })
        #expect(m.opTypes.last == "Gemm")
    }

    /// Reading the export back gives the source's tensors: same names, shapes (in the source layout) and float32
    /// bytes, so `diff` can compare an export with its source.
    @Test(arguments: ["pytorch/torchvision_micro_f32.pth", "mindspore/micro_mindvision_f32.ckpt",
                      "mindspore/micro_mindcv_f16.ckpt"])
    func exportReadsBackAsTheSourceTensors(_ fixture: String) throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let (source, summary) = try ONNXFixtures.export(fixture, to: dir + "/m.onnx")
        let back = try ONNXFormat.read(path: summary.path)
        #expect(back.metadata["cnzoo.variant"] != nil)
        let byName = Dictionary(uniqueKeysWithValues: back.tensors.map { ($0.name, $0) })
        #expect(byName.count == source.tensors.count)
        for t in source.tensors {
            let b = try #require(byName[t.name])
            #expect(b.dtype == .f32)
            #expect(b.shape == t.shape, "\(t.name)")
            #expect(try b.data.readAll() == ONNXFixtures.bytes(t), "\(t.name)")
        }
    }

    @Test func sameInputGivesIdenticalBytes() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        _ = try ONNXFixtures.export("mindspore/micro_mindcv_f32.ckpt", to: dir + "/a.onnx")
        _ = try ONNXFixtures.export("mindspore/micro_mindcv_f32.ckpt", to: dir + "/b.onnx")
        let a = try TestSupport.readFile(dir + "/a.onnx"), b = try TestSupport.readFile(dir + "/b.onnx")
        #expect(a.count > 100_000)
        #expect(a == b)
    }

    /// Below opset 20 GELU is written as Erf (torch) or Tanh (MindSpore) arithmetic; a fixed batch is a fixed dim.
    @Test func opset17WritesGeluArithmeticAndFixedBatch() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let opts = ONNXExportOptions(opset: 17, batch: 3)
        let tv = try UnpackedModel(path: ONNXFixtures.export("pytorch/torchvision_micro_f32.pth", to: dir + "/tv.onnx",
                                                             options: opts).1.path)
        #expect(tv.model.pointee.ir_version == 8)
        #expect(!tv.opTypes.contains("Gelu"))
        #expect(tv.opTypes.filter { $0 == "Erf" }.count == 5)
        #expect(tv.inputDims == ["3", "3", "height", "width"])
        let mcv = try UnpackedModel(path: ONNXFixtures.export("mindspore/micro_mindcv_f32.ckpt", to: dir + "/mcv.onnx",
                                                              options: opts).1.path)
        #expect(mcv.opTypes.filter { $0 == "Tanh" }.count == 5)
        #expect(!mcv.opTypes.contains("Erf"))
    }

    @Test func externalDataHoldsTheWeightsAndReadsBack() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let (source, summary) = try ONNXFixtures.export("pytorch/torchvision_micro_f32.pth", to: dir + "/m.onnx",
                                                        options: ONNXExportOptions(externalData: .always))
        #expect(summary.externalDataPath == dir + "/m.onnx.data")
        #expect(summary.externalDataBytes >= source.byteCount)
        #expect(summary.modelBytes < 100_000)
        let back = try ONNXFormat.read(path: summary.path)
        #expect(back.tensors.map(\.name) == source.tensors.map(\.name))  // the source file's order
        for (t, b) in zip(source.tensors, back.tensors) {
            #expect(try b.data.readAll() == ONNXFixtures.bytes(t))
        }
    }

    @Test func unsupportedOpsetAndExistingOutputAreRefused() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        #expect(throws: CNZooError.self) {
            try ONNXFixtures.export("pytorch/torchvision_micro_f32.pth", to: dir + "/m.onnx",
                                    options: ONNXExportOptions(opset: 16))
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/m.onnx"))
        _ = try ONNXFixtures.export("pytorch/torchvision_micro_f32.pth", to: dir + "/m.onnx")
        #expect(throws: CNZooError.self) { try ONNXFixtures.export("pytorch/torchvision_micro_f32.pth", to: dir + "/m.onnx") }
    }

    /// A ConvMixer graph: BatchNorm after every conv, the spec's activation, no LayerNorm.
    @Test(arguments: [Activation.gelu, .relu])
    func convMixerGraph(_ activation: Activation) throws {
        let spec = ConvMixerSpec(dim: 8, depth: 2, kernelSize: 3, patchSize: 2, activation: activation, numClasses: 5)
        var ckpt = Checkpoint()
        for (i, p) in spec.parameters().enumerated() {
            let values = (0..<p.elementCount).map { Float(($0 * 7 + i) % 13) / 13 + (p.role == .bnRunningVar ? 1 : 0) }
            ckpt.tensors.append(TensorEntry(name: p.name, dtype: .f32, shape: p.shape,
                                            data: .bytes(values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })))
        }
        let timm = try #require(Conventions.named("timm"))
        let detection = try #require(Detector.detect(names: ckpt.tensors.map(\.name), shapes: ckpt.tensors.map(\.shape)))
        #expect(detection.family == "convmixer")
        let g = try ONNXExport.graph(canonical: ckpt, spec: spec, numerics: .pytorch, convention: timm)
        let ops = g.nodes.map(\.opType)
        #expect(ops.filter { $0 == "BatchNormalization" }.count == 1 + 2 * 2)
        #expect(ops.filter { $0 == "Conv" }.count == 1 + 2 * 2)
        #expect(ops.filter { $0 == (activation == .relu ? "Relu" : "Gelu") }.count == 1 + 2 * 2)
        #expect(!ops.contains("LayerNormalization"))
        #expect(g.initializers.count == spec.parameters().count)
    }
}

@Suite struct ONNXReaderTests {
    /// A model torch.onnx.export wrote (Fixtures/generate_onnx.py): detected by content, its initializers read
    /// under the state-dict names torch kept, with the .pth's exact bytes — including the Linear weights torch folded
    /// into transposed `onnx::MatMul_*` constants, restored as `<module>.weight` [out, in].
    @Test func torchExportReadsAsTheStateDict() throws {
        let (onnx, format) = try CheckpointIO.read(path: TestSupport.fixture("onnx/torchvision_micro_torch.onnx"))
        #expect(format == .onnx)
        #expect(onnx.notes.contains { $0.hasPrefix("10 Linear weight(s)") })
        let (pth, _) = try CheckpointIO.read(path: TestSupport.fixture("pytorch/torchvision_micro_f32.pth"))
        let byName = Dictionary(uniqueKeysWithValues: onnx.tensors.map { ($0.name, $0) })
        #expect(Set(byName.keys) == Set(pth.tensors.map(\.name)))
        for t in pth.tensors {
            let o = try #require(byName[t.name])
            #expect(o.shape == t.shape, "\(t.name)")
            #expect(try o.data.readAll() == t.data.readAll(), "\(t.name)")
        }
    }

    /// Every strict prefix of a valid model is refused with an error, never a crash.
    @Test func truncatedModelsAreRefused() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let (_, summary) = try ONNXFixtures.export("mindspore/micro_mindcv_f32.ckpt", to: dir + "/m.onnx")
        let bytes = try TestSupport.readFile(summary.path)
        #expect(ONNXFormat.looksLikeModel(bytes.withUnsafeBytes { $0 }))
        for cut in stride(from: 1, to: bytes.count, by: max(1, bytes.count / 300)) {
            let file = bytes.withUnsafeBytes { MappedFile(copying: UnsafeRawBufferPointer(rebasing: $0[0..<cut]), path: "<cut>") }
            #expect(throws: CNZooError.self) { _ = try ONNXFormat.read(file: file) }
        }
    }

    @Test func externalDataOutsideTheModelDirectoryIsRefused() throws {
        // ModelProto { graph { initializer { dims 1, data_type FLOAT, name "w", data_location EXTERNAL,
        //   external_data { location "../w.bin" } } } }
        let entry: [UInt8] = [0x0A, 8] + Array("location".utf8) + [0x12, 8] + Array("../w.bin".utf8)
        var tensor: [UInt8] = [0x08, 0x01, 0x10, 0x01, 0x42, 0x01, UInt8(ascii: "w")]
        tensor += [0x6A, UInt8(entry.count)] + entry + [0x70, 0x01]
        let graph: [UInt8] = [0x2A, UInt8(tensor.count)] + tensor
        let model: [UInt8] = [0x08, 0x09, 0x3A, UInt8(graph.count)] + graph
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        try TestSupport.writeFile(dir + "/evil.onnx", model)
        let error = try #require(throws: CNZooError.self) { try ONNXFormat.read(path: dir + "/evil.onnx") }
        #expect(error.code == .unsafe)
        #expect(error.tensor == "w")
    }
}
