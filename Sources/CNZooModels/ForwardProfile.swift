/// Time spent per kernel family across forward calls (for `cnzoo forward --profile` and the benchmark).
public final class ForwardProfile {
    public private(set) var seconds: [String: Double] = [:]

    public init() {}

    func add(_ key: String, _ d: Duration) {
        seconds[key, default: 0] += Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// Forgets what was measured.
    public func reset() { seconds = [:] }
}
