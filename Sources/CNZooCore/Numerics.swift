/// The numerical choices that differ between frameworks running the same weights. Conventions (CNZooMapping) say
/// which their framework uses; the forward pass (CNZooModels) computes with them.
///
/// PyTorch (torchvision, timm, the official code) uses exact erf GELU and LayerNorm eps 1e-6. MindSpore's `nn.GELU()`
/// defaults to the tanh approximation (MindCV and MindSpore Vision both use it), and MindSpore Vision's neck
/// LayerNorm keeps MindSpore's default eps 1e-7.
public struct Numerics: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// The GELU form.
    public enum GELU: String, Sendable, Codable, CaseIterable {
        /// `x·Φ(x) = 0.5·x·(1 + erf(x/√2))`.
        case erf
        /// `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
        case tanh
    }

    public var gelu: GELU
    /// LayerNorm eps of the stem, blocks and downsampling layers.
    public var layerNormEps: Float
    /// LayerNorm eps of the head norm (after global pooling).
    public var headNormEps: Float
    /// BatchNorm eps (ConvMixer; 1e-5 in torch and MindSpore alike).
    public var batchNormEps: Float
    /// An explicit ConvMixer activation (`--activation`), taken literally (`gelu` is the erf form); nil: the
    /// architecture's (the zoo entry's, else GELU) in this numerics' GELU form. ConvNeXt always runs GELU.
    public var activation: Activation?

    public init(gelu: GELU, layerNormEps: Float = 1e-6, headNormEps: Float = 1e-6, batchNormEps: Float = 1e-5,
                activation: Activation? = nil) {
        self.gelu = gelu
        self.layerNormEps = layerNormEps
        self.headNormEps = headNormEps
        self.batchNormEps = batchNormEps
        self.activation = activation
    }

    /// torchvision / timm / official ConvNeXt: erf GELU, eps 1e-6 everywhere.
    public static let pytorch = Numerics(gelu: .erf)
    /// MindCV: tanh GELU, eps 1e-6 everywhere.
    public static let mindcv = Numerics(gelu: .tanh)
    /// MindSpore Vision: tanh GELU, eps 1e-6 except the neck LayerNorm (MindSpore's default 1e-7).
    public static let mindsporeVision = Numerics(gelu: .tanh, layerNormEps: 1e-6, headNormEps: 1e-7)

    public var description: String { "gelu \(gelu.rawValue), ln eps \(layerNormEps), head ln eps \(headNormEps)" }
}
