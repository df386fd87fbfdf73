import CNZooCore
import CNZooMapping
import Testing

@Suite struct StrictMappingTests {
    /// A torchvision checkpoint with one tensor removed, one added and one reshaped fails with all three listed.
    @Test func failureReportListsEveryProblem() throws {
        var tv = try Micro.spelled(Micro.convnext, TorchVisionConvention())
        tv.tensors.removeAll { $0.name == "features.3.0.block.2.bias" }
        tv.tensors.append(TensorEntry(name: "features.9.extra", dtype: .f32, shape: [1], data: .bytes([0, 0, 0, 0])))
        let i = try #require(tv.tensors.firstIndex { $0.name == "classifier.2.bias" })
        tv.tensors[i] = TensorEntry(name: "classifier.2.bias", dtype: .f32, shape: [6],
                                    data: .bytes([UInt8](repeating: 0, count: 24)))
        let spec = Micro.convnext
        #expect {
            _ = try Mapper.decode(tv, from: TorchVisionConvention(), spec: spec)
        } throws: { error in
            guard let f = error as? MappingFailure else { return false }
            // The reshaped tensor is a shape mismatch only, not "missing" as well.
            return f.report.missing == ["features.3.0.block.2.bias"]
                && f.report.unexpected == ["features.9.extra"]
                && f.report.shapeMismatch == [.init(name: "classifier.2.bias", expected: [5], found: [6])]
                && f.description.contains(", 1 shape mismatch\n")
                && f.description.contains("missing (1): features.3.0.block.2.bias\n")
                && f.description.components(separatedBy: "classifier.2.bias").count == 2
        }
        // --allow-unmapped still refuses a shape mismatch.
        #expect(throws: MappingFailure.self) {
            _ = try Mapper.decode(tv, from: TorchVisionConvention(), spec: spec, options: .init(allowUnmapped: true))
        }
    }

    /// Every missing tensor is named, however many; counts take the right plural.
    @Test func everyMissingTensorIsNamedWithPlurals() throws {
        var tv = try Micro.spelled(Micro.convnext, TorchVisionConvention())
        let removed = tv.tensors.filter { $0.name.hasPrefix("features.1.") }.map(\.name)
        #expect(removed.count > 8)
        tv.tensors.removeAll { $0.name.hasPrefix("features.1.") }
        let i = try #require(tv.tensors.firstIndex { $0.name == "classifier.2.bias" })
        tv.tensors[i] = TensorEntry(name: "classifier.2.bias", dtype: .f32, shape: [6],
                                    data: .bytes([UInt8](repeating: 0, count: 24)))
        let failure = try #require(throws: MappingFailure.self) {
            try Mapper.decode(tv, from: TorchVisionConvention(), spec: Micro.convnext)
        }
        #expect(failure.report.missing == removed)
        #expect(failure.report.problemSummary().contains("missing (\(removed.count)): " + removed.joined(separator: ", ")))
        #expect(failure.description.contains("\(removed.count) missing, 0 unexpected, 1 shape mismatch\n"))
        tv.tensors[i] = TensorEntry(name: "classifier.2.bias", dtype: .f32, shape: [6, 1],
                                    data: .bytes([UInt8](repeating: 0, count: 24)))
        tv.tensors.append(TensorEntry(name: "features.0.0.bias", dtype: .f32, shape: [5], data: .bytes([])))
        let two = try #require(throws: MappingFailure.self) {
            try Mapper.decode(tv, from: TorchVisionConvention(), spec: Micro.convnext)
        }
        #expect(two.report.shapeMismatch.count == 2 && two.description.contains(", 2 shape mismatches\n"))
        #expect(Plural.count(1, "tensor") == "1 tensor" && Plural.count(0, "tensor") == "0 tensors")
    }

    /// Notes agree in number with their counts (the dropped-tensor notes: `optimizerStateIsDroppedOrKept`).
    @Test func missingNoteTakesTheRightPlural() throws {
        var tv = try Micro.spelled(Micro.convnext, TorchVisionConvention())
        tv.tensors.removeAll { $0.name == "classifier.2.bias" }
        let (_, partial) = try Mapper.decode(tv, from: TorchVisionConvention(), spec: Micro.convnext,
                                             options: .init(allowUnmapped: true))
        #expect(partial.notes.contains("1 expected tensor is missing from the source: classifier.2.bias"))
    }

    @Test func wrongConventionFailsWithPrefixHint() throws {
        var timm = try Micro.spelled(Micro.convnext, TimmConvention())
        for i in timm.tensors.indices { timm.tensors[i].name = "module." + timm.tensors[i].name }
        #expect {
            _ = try Mapper.decode(timm, from: MindSporeVisionConvention(), spec: Micro.convnext)
        } throws: { error in
            guard let f = error as? MappingFailure else { return false }
            return f.report.mapped == 0 && f.report.unexpected.count == timm.tensors.count
                && (f.hint ?? "").hasPrefix("looks like timm naming with a `module.` prefix")
        }
    }

    @Test func allowUnmappedCarriesExtrasByName() throws {
        var mcv = try Micro.spelled(Micro.convnext, MindCVConvention())
        mcv.tensors.append(TensorEntry(name: "aux_head.weight", dtype: .f32, shape: [2], data: .bytes([UInt8](repeating: 1, count: 8))))
        let (canon, report) = try Mapper.decode(mcv, from: MindCVConvention(), spec: Micro.convnext,
                                                options: .init(allowUnmapped: true))
        #expect(report.carried == ["aux_head.weight"])
        #expect(canon.tensors.last?.name == "aux_head.weight")
        let tv = try Mapper.encode(canon, to: TorchVisionConvention(), spec: Micro.convnext)
        #expect(tv.tensors.last?.name == "aux_head.weight")
    }

    @Test func optimizerStateIsDroppedOrKept() throws {
        var mv = try Micro.spelled(Micro.convnext, MindSporeVisionConvention())
        let first = mv.tensors[0]
        mv.tensors.append(TensorEntry(name: "moments." + first.name, dtype: .f32, shape: first.shape, data: first.data))
        mv.tensors.append(TensorEntry(name: "global_step", dtype: .i32, shape: [1], data: .bytes([7, 0, 0, 0])))
        let (canon, report) = try Mapper.decode(mv, from: MindSporeVisionConvention(), spec: Micro.convnext)
        #expect(report.dropped.map(\.kind) == [.optimizer, .bookkeeping])
        #expect(report.notes.contains("dropped 1 optimizer-state tensor (keep: --keep-optimizer)"))
        #expect(report.notes.contains { $0.hasPrefix("dropped 1 bookkeeping tensor (") })
        #expect(canon.tensors.count == Micro.convnext.parameters().count)
        #expect(report.notes.contains { $0.contains("optimizer-state") })
        let (kept, r2) = try Mapper.decode(mv, from: MindSporeVisionConvention(), spec: Micro.convnext,
                                           options: .init(keepOptimizer: true))
        #expect(r2.dropped.isEmpty)
        #expect(kept.tensors.suffix(2).map(\.name) == ["moments.backbone.start_cell.0.weight", "global_step"])
    }

    @Test func emaCopyAndScalarsAreNotWeights() throws {
        var mcv = try Micro.spelled(Micro.convnext, MindCVConvention())
        let weights = mcv.tensors
        for t in weights { mcv.tensors.append(TensorEntry(name: "ema." + t.name, dtype: t.dtype, shape: t.shape, data: t.data)) }
        mcv.tensors.append(TensorEntry(name: "converged", dtype: .bool, shape: [], data: .bytes([1])))
        let h = Micro.header(mcv)
        let d = try #require(Detector.detect(names: h.names, shapes: h.shapes))
        #expect(d.convention.name == "mindcv" && d.prefix == "" && d.confidence == 1)
        let (canon, report) = try Mapper.decode(mcv, from: d.convention, spec: d.spec)
        #expect(report.dropped.filter { $0.kind == .ema }.count == weights.count)
        #expect(report.dropped.last == .init(name: "converged", kind: .bookkeeping))
        #expect(try Micro.identical(canon, Micro.canonical(Micro.convnext)))
    }

    /// MindSpore norms saved as `weight`/`bias` (some versions, hand conversions) are accepted, by role: the layer
    /// scale `gamma` of MindSpore Vision is never taken for a norm.
    @Test func mindsporeNormAlternateSpellings() throws {
        var mv = try Micro.spelled(Micro.convnext, MindSporeVisionConvention())
        for i in mv.tensors.indices where mv.tensors[i].name.contains("layer_norm.") {
            mv.tensors[i].name = mv.tensors[i].name.replacingOccurrences(of: ".gamma", with: ".weight")
                .replacingOccurrences(of: ".beta", with: ".bias")
        }
        let (canon, report) = try Mapper.decode(mv, from: MindSporeVisionConvention(), spec: Micro.convnext)
        #expect(report.isExact)
        #expect(report.notes.contains { $0.contains("alternative spelling") })
        let direct = Micro.canonical(Micro.convnext)
        #expect(try Micro.identical(canon, direct))
        // Both spellings of the same norm at once is a duplicate, not silently one of them.
        var both = try Micro.spelled(Micro.convnext, MindSporeVisionConvention())
        let g = try #require(both.tensor(named: "neck.layer_norm.gamma"))
        both.tensors.append(TensorEntry(name: "neck.layer_norm.weight", dtype: g.dtype, shape: g.shape, data: g.data))
        #expect(throws: MappingFailure.self) {
            _ = try Mapper.decode(both, from: MindSporeVisionConvention(), spec: Micro.convnext)
        }
    }

    @Test func timmConvMixerDropsAndRestoresCounters() throws {
        let timm = try Micro.spelled(Micro.convmixer, TimmConvention())
        #expect(timm.tensors.filter { $0.name.hasSuffix("num_batches_tracked") }.count == 1 + 2 * Micro.convmixer.depth)
        #expect(timm.tensors[6].name == "stem.2.num_batches_tracked")
        let mcv = try Micro.convert(timm, to: MindCVConvention())
        #expect(mcv.tensors.count == Micro.convmixer.parameters().count)
        #expect(mcv.tensors.map(\.name).contains("network.3.0.fn.2.moving_mean"))
    }
}
