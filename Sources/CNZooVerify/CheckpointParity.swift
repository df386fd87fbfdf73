import CNZooConversion
import CNZooCore
import CNZooMapping
import CNZooModels

/// `cnzoo verify --checkpoint FILE`: run a user's checkpoint, round-trip it through other formats and names, and
/// check that the converted weights are bit-identical and give the same logits.
public enum CheckpointParity {
    /// Compares two canonical checkpoints tensor by tensor (names, dtypes, shapes, bytes). Mapped pages are handed
    /// back after each tensor, so comparing two mapped multi-GB files does not hold both in the resident set.
    public static func compare(_ a: Checkpoint, _ b: Checkpoint) throws -> (Bool, String) {
        guard a.tensors.count == b.tensors.count else {
            return (false, "\(a.tensors.count) tensors became \(b.tensors.count)")
        }
        var byName: [String: TensorEntry] = [:]
        for t in b.tensors { byName[t.name] = t }
        let releasers = [MappedPageReleaser(a), MappedPageReleaser(b)]
        for t in a.tensors {
            guard let u = byName[t.name] else { return (false, "'\(t.name)' is missing after the round trip") }
            guard u.dtype == t.dtype, u.shape == t.shape else {
                return (false, "'\(t.name)' changed from \(t.dtype) \(t.shape) to \(u.dtype) \(u.shape)")
            }
            guard try u.data.readAll() == t.data.readAll() else { return (false, "'\(t.name)' bytes differ") }
            releasers.forEach { $0.release() }
        }
        return (true, "all \(a.tensors.count) tensors identical (names, dtypes, shapes, bytes)")
    }

    /// Runs `trips` on `weights` (canonical, of `spec`), recording bit-exactness and forward parity (top-1 and max
    /// diff against the original weights' logits on `inputs`).
    public static func run(weights: Checkpoint, spec: any ArchitectureSpec, numerics: Numerics, inputs: [Float],
                           batch: Int, resolution: Int, options: ForwardOptions = ForwardOptions(), trips: [RoundTrip],
                           originalLogits: [Float]? = nil, into report: inout VerifyReport) throws {
        // The model of the original weights lives only for its one forward, so that it and the round-tripped
        // weights' model are never held together.
        let before = try originalLogits ?? ForwardModels.make(canonical: weights, spec: spec, numerics: numerics, options: options)
            .forward(inputs, batch: batch, height: resolution, width: resolution)
        let classes = before.count / batch
        for trip in trips {
            do {
                try trip.run(weights, spec: spec) { label, back in
                    let (same, detail) = try compare(weights, back)
                    report.roundTrips.append(.init(path: label, tensors: back.tensors.count, bitExact: same, detail: detail))
                    let model = try ForwardModels.make(canonical: back, spec: spec, numerics: numerics, options: options)
                    MappedPageReleaser(back).release()  // packed now: the mapped source pages are not needed
                    let after = try model.forward(inputs, batch: batch, height: resolution, width: resolution)
                    // Bit-identical weights through the same code must give bit-identical logits: tolerance 0.
                    let run = ReferenceParity.ReferenceRun(name: "before conversion", numerics: numerics, tolerance: 0,
                                                           why: "same weights, same code: logits must be identical")
                    report.parity += ReferenceParity.rows(weights: label, swift: after, reference: before, batch: batch,
                                                          classes: classes, framework: run)
                }
            } catch {
                report.roundTrips.append(.init(path: trip.label, tensors: 0, bitExact: false, detail: "failed: \(error)"))
            }
        }
    }
}
