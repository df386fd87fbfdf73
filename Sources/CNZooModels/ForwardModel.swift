import CNZooCore
import CNZooMapping

/// How a forward model runs: threads and the matrix-product engine.
public struct ForwardOptions: Sendable {
    /// Threads for the matrix products and the other kernels.
    public var threads: Int
    /// The matrix-product engine.
    public var gemm: GemmEngine

    public init(threads: Int = 2, gemm: GemmEngine = .auto) {
        self.threads = threads
        self.gemm = gemm
    }
}

/// A model family's forward pass over canonical weights: built once, run on NCHW float32 batches.
///
/// Adding a family = one file with a `ForwardModel` and its `ForwardModelFactory`, plus one line in
/// `ForwardModels.all`. Everything that runs a model (`forward`, `verify`, `verify --images`, round-trip parity)
/// goes through `ForwardModels.make`.
public protocol ForwardModel: AnyObject {
    /// The architecture it runs.
    var architecture: any ArchitectureSpec { get }
    /// The numerics it computes with (changeable between calls).
    var numerics: Numerics { get set }
    /// Classes in the output rows.
    var numClasses: Int { get }
    /// Input channels (3 for RGB).
    var inputChannels: Int { get }
    /// The smallest input height and width; any larger size runs (strided convs floor, as in torch).
    var minimumInputSize: Int { get }
    /// The matrix-product engine in use (`cnzoo` or `openblas`).
    var gemmEngine: GemmEngine { get }
    /// When set, each call adds the time per kernel family to it.
    var profile: ForwardProfile? { get set }
    /// Logits `[batch, numClasses]` for an NCHW float32 batch.
    func forward(_ input: [Float], batch: Int, height: Int, width: Int) throws -> [Float]
    /// Multiply-accumulates of one image at `height`×`width` (2 FLOPs each).
    func macs(height: Int, width: Int) -> Int
}

extension ForwardModel {
    /// The name 0.2.0 gave ``minimumInputSize``, when inputs had to be multiples of it; any larger size runs now.
    @available(*, deprecated, renamed: "minimumInputSize")
    public var inputStride: Int { minimumInputSize }
}

/// Builds a family's forward model from canonical weights.
public protocol ForwardModelFactory: Sendable {
    /// The family it builds.
    var family: Family { get }
    /// A model for `spec` from canonical `weights` (only the spec's parameters; others are refused).
    func make(weights: Checkpoint, spec: any ArchitectureSpec, numerics: Numerics, options: ForwardOptions) throws
        -> any ForwardModel
}

/// The registry of forward models, one factory per family.
public enum ForwardModels {
    /// Every family cnzoo can run.
    public static let all: [any ForwardModelFactory] = [ConvNeXtForward(), ConvMixerForward()]

    /// Whether `family` has a forward pass.
    public static func supports(_ family: Family) -> Bool { all.contains { $0.family == family } }

    /// The families with a forward pass.
    public static var families: [Family] { all.map(\.family) }

    /// Keeps only `spec`'s parameters of a canonical checkpoint (drops carried extras and bookkeeping).
    public static func parameters(of canonical: Checkpoint, spec: any ArchitectureSpec) -> Checkpoint {
        let wanted = Set(spec.parameters().map(\.name))
        var out = canonical
        out.tensors = canonical.tensors.filter { wanted.contains($0.name) }
        out.extras = []
        return out
    }

    /// Why a headless spec (no classifier: timm `num_classes=0`, `features_only=True`, torchvision
    /// `model.features`) has no forward pass: the models compute logits only, never pooled features.
    public static func headlessRefusal(_ spec: any ArchitectureSpec) -> CNZooError {
        CNZooError(.unsupported, "headless \(spec.family) (\(spec.summary)): no classifier, and cnzoo's forward pass "
                   + "computes logits only — it does not return pooled features; convert, diff or inspect the file, "
                   + "or add a classifier to run it")
    }

    /// Builds the forward model of `spec`'s family from canonical weights (extra tensors are dropped first).
    public static func make(canonical: Checkpoint, spec: any ArchitectureSpec, numerics: Numerics,
                            options: ForwardOptions = ForwardOptions(), file: String? = nil) throws -> any ForwardModel {
        guard let factory = all.first(where: { $0.family == spec.family }) else {
            throw CNZooError(.unsupported, "cnzoo has no forward pass for \(spec.family) yet (it runs "
                             + families.map(\.rawValue).joined(separator: ", ") + "); this checkpoint is \(spec.summary)",
                             file: file)
        }
        do {
            return try factory.make(weights: parameters(of: canonical, spec: spec), spec: spec, numerics: numerics,
                                    options: options)
        } catch let e as CNZooError {
            throw file.map(e.inFile) ?? e
        }
    }
}
