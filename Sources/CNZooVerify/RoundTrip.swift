import CNZooConversion
import CNZooCore
import CNZooFormats
import CNZooMapping
import Foundation

/// A conversion path `verify` checks: canonical weights out through one or more (convention, format) hops, each
/// written to a temporary file with cnzoo's writer, read back with cnzoo's reader and mapped back to canonical names.
public struct RoundTrip: Sendable {
    /// One hop: write in this convention and format, then read back.
    public struct Hop: Sendable {
        public var convention: Convention
        public var target: ConversionTarget

        public init(_ convention: Convention, _ target: ConversionTarget) {
            self.convention = convention
            self.target = target
        }
    }

    public var hops: [Hop]

    public init(_ hops: [Hop]) { self.hops = hops }

    /// `torchvision .pth → mindcv .ckpt → …`
    public var label: String { hops.map { "\($0.convention) .\($0.target.fileExtension)" }.joined(separator: " → ") }

    /// The round trips `verify` runs for a family: canonical names through safetensors, then the chain between the
    /// frameworks' own names (ConvNeXt: torchvision .pth → MindCV .ckpt → MindSpore Vision .ckpt → Keras .weights.h5 → torchvision .pth;
    /// ConvMixer: timm .pth → MindCV .ckpt → timm .pth), checked after every hop.
    public static func standard(for family: Family) -> [RoundTrip] {
        let safetensors = RoundTrip([Hop("canonical", .safetensors)])
        switch family {
        case .convmixer:
            return [safetensors, RoundTrip([Hop("timm", .torch), Hop("mindcv", .ms), Hop("timm", .torch)])]
        default:
            return [safetensors, RoundTrip([Hop("torchvision", .torch), Hop("mindcv", .ms), Hop("mindvision", .ms),
                                            Hop("keras", .keras), Hop("torchvision", .torch)])]
        }
    }

    /// Runs the hops on canonical `weights` of `spec` (its parameters, and the bookkeeping buffers — BatchNorm
    /// `num_batches_tracked` — the source carried); `check` sees the canonical result after every hop, labelled
    /// with the path so far: the same tensors as `weights`, buffers carried through every convention that has a
    /// place for them. Each hop's file is read back lazily: its tensors stay in the file's mapping (page cache,
    /// not anonymous memory) and its name is removed at once, so the data lives only until the next hop has been
    /// written from it — at most two hops' files exist at a time, in a private temporary directory, and no extra
    /// in-memory copy of the model is made.
    public func run(_ weights: Checkpoint, spec: any ArchitectureSpec,
                    check: (String, Checkpoint) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cnzoo-verify-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let wanted = Set(weights.tensors.map(\.name))
        var current = weights
        var done: [String] = []
        for (i, hop) in hops.enumerated() {
            guard let conv = Conventions.convention(hop.convention) else {
                throw CNZooError(.mapping, "no convention '\(hop.convention)' in this build")
            }
            let encoded = try Mapper.encode(current, to: conv, spec: spec)
            let path = dir + "/hop\(i).\(hop.target.fileExtension)"
            try CheckpointIO.write(encoded, format: hop.target.format, to: path)
            MappedPageReleaser(current).release()  // the pages the write read come back from the page cache if needed
            let (back, _) = try CheckpointIO.read(path: path)
            try? FileManager.default.removeItem(atPath: path)  // the mapping keeps the bytes until `back` goes
            current = try Mapper.decode(back, from: conv, spec: spec, options: MappingOptions(keepBuffers: true)).0
            current.tensors = current.tensors.filter { wanted.contains($0.name) }
            done.append("\(hop.convention) .\(hop.target.fileExtension)")
            try check(done.joined(separator: " → "), current)
        }
    }
}
