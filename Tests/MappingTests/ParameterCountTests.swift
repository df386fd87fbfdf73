import CNZooCore
import CNZooMapping
import Testing

/// "parameters" counts the model's parameters only, as timm and the papers do.
@Suite struct ParameterCountTests {
    /// timm's `convmixer_768_32` state dict, names and shapes only: every parameter and BatchNorm buffer the timm
    /// convention names, plus the `num_batches_tracked` counter torch saves beside each BatchNorm.
    static func timmConvMixer768() throws -> Checkpoint {
        let spec = try #require(ConvMixerSpec.variants.first { $0.name == "768_32" }?.spec)
        let slots = try #require(TimmConvention().slots(for: spec))
        var tensors: [TensorEntry] = []
        for slot in slots {
            tensors.append(TensorEntry(name: slot.name, dtype: .f32, shape: slot.shape, data: .bytes([])))
            if slot.name.hasSuffix(".running_var") {
                let counter = String(slot.name.dropLast("running_var".count)) + "num_batches_tracked"
                tensors.append(TensorEntry(name: counter, dtype: .i64, shape: [], data: .bytes([])))
            }
        }
        return Checkpoint(tensors: tensors)
    }

    @Test func timmConvMixer768ReadsWhatTimmSays() throws {
        let ckpt = try Self.timmConvMixer768()
        #expect(ckpt.tensors.contains { $0.name.hasSuffix("num_batches_tracked") })
        #expect(ckpt.parameterCount == 21_110_248)   // timm: sum(p.numel() for p in model.parameters())
        #expect(ckpt.elementCount == 21_210_153)     // every element of the state dict
    }

    @Test func optimizerStateEMAAndMindSporeBuffersAreNotParameters() {
        func t(_ name: String, _ shape: [Int]) -> TensorEntry { TensorEntry(name: name, dtype: .f32, shape: shape, data: .bytes([])) }
        let ckpt = Checkpoint(tensors: [
            t("stem.0.weight", [4, 3, 2, 2]), t("stem.2.gamma", [4]), t("stem.2.beta", [4]),
            t("stem.2.moving_mean", [4]), t("stem.2.moving_variance", [4]),
            t("moments.stem.0.weight", [4, 3, 2, 2]), t("adam_m.stem.2.gamma", [4]), t("global_step", [1]),
            t("ema.stem.0.weight", [4, 3, 2, 2]),
        ])
        #expect(ckpt.parameterCount == 48 + 4 + 4)
        #expect(ckpt.elementCount == 48 * 3 + 4 * 5 + 1)
        #expect(TensorRole.isBuffer("running_mean") && TensorRole.isBuffer("bn.num_batches_tracked"))
        #expect(!TensorRole.isBuffer("running_mean_weight") && !TensorRole.isBuffer("stem.0.weight"))
    }
}
