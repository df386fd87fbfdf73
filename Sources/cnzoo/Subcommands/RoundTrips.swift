import CNZooCore
import CNZooFormats
import CNZooMapping
import CNZooVerify
import Foundation

/// The conversion round trips `cnzoo verify` runs on canonical weights: out to a framework's names and file
/// format, read back with cnzoo's reader, and mapped back to canonical names.
enum RoundTrips {
    /// The round trips: canonical names through safetensors, then the chain torchvision .pth → MindCV .ckpt →
    /// MindSpore Vision .ckpt → torchvision .pth, checked after every hop.
    static func all(spec: ConvNeXtSpec) -> [CheckpointParity.RoundTrip] {
        [via([("canonical", .safetensors, "safetensors")], spec: spec),
         via([("torchvision", .pytorch, "pth"), ("mindcv", .mindspore, "ckpt"), ("mindvision", .mindspore, "ckpt"),
              ("torchvision", .pytorch, "pth")], spec: spec)]
    }

    /// Canonical weights through each (convention, format) hop in turn: encode, write, read back with cnzoo's
    /// reader, decode; `check` sees the canonical result after every hop.
    static func via(_ hops: [(String, CheckpointFormat, String)], spec: ConvNeXtSpec) -> CheckpointParity.RoundTrip {
        let label = hops.map { "\($0.0) .\($0.2)" }.joined(separator: " → ")
        return CheckpointParity.RoundTrip(path: label) { ckpt, check in
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cnzoo-verify-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let wanted = Set(spec.parameters().map(\.name))
            var current = ckpt
            var done: [String] = []
            for (i, (name, format, ext)) in hops.enumerated() {
                guard let conv = Conventions.named(name) else {
                    throw CNZooError(.mapping, "no convention '\(name)' in this build")
                }
                let encoded = try Mapper.encode(current, to: conv, spec: spec)
                let path = dir + "/hop\(i).\(ext)"
                try CheckpointIO.write(encoded, format: format, to: path)
                var (back, _) = try CheckpointIO.read(path: path)
                // Materialise, then drop the file: only one copy of the weights stays on disk.
                for j in back.tensors.indices { back.tensors[j].data = .bytes(try back.tensors[j].data.readAll()) }
                try? FileManager.default.removeItem(atPath: path)
                current = try Mapper.decode(back, from: conv, spec: spec).0
                current.tensors = current.tensors.filter { wanted.contains($0.name) }
                done.append("\(name) .\(ext)")
                try check(done.joined(separator: " → "), current)
            }
        }
    }
}
