import CNZooCore
import CNZooFormats
import CNZooMapping
import CNZooVerify
import Foundation

/// The conversion round trips `cnzoo verify` runs on canonical weights: out to a framework's names and file
/// format, read back with cnzoo's reader, and mapped back to canonical names.
enum RoundTrips {
    /// Every round trip: each convention through its own file format, then the chain torchvision .pth → MindCV
    /// .ckpt → MindSpore Vision .ckpt → torchvision .pth.
    static func all(spec: ConvNeXtSpec) -> [CheckpointParity.RoundTrip] {
        var trips: [CheckpointParity.RoundTrip] = [
            via([("canonical", .safetensors, "safetensors")], spec: spec),
        ]
        for (conv, format, ext) in [("torchvision", CheckpointFormat.pytorch, "pth"), ("mindcv", .mindspore, "ckpt"),
                                    ("mindvision", .mindspore, "ckpt")] {
            trips.append(via([(conv, format, ext)], spec: spec))
        }
        trips.append(via([("torchvision", .pytorch, "pth"), ("mindcv", .mindspore, "ckpt"),
                          ("mindvision", .mindspore, "ckpt"), ("torchvision", .pytorch, "pth")], spec: spec))
        return trips
    }

    /// Canonical weights through each (convention, format) hop in turn: encode, write, read, decode.
    static func via(_ hops: [(String, CheckpointFormat, String)], spec: ConvNeXtSpec) -> CheckpointParity.RoundTrip {
        let label = hops.map { "\($0.0) .\($0.2)" }.joined(separator: " → ")
        return CheckpointParity.RoundTrip(path: label) { ckpt in
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cnzoo-verify-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            var current = ckpt
            for (i, (name, format, ext)) in hops.enumerated() {
                guard let conv = Conventions.named(name) else {
                    throw CNZooError(.mapping, "no convention '\(name)' in this build")
                }
                let encoded = try Mapper.encode(current, to: conv, spec: spec)
                let path = dir + "/hop\(i).\(ext)"
                try CheckpointIO.write(encoded, format: format, to: path)
                var (back, _) = try CheckpointIO.read(path: path)
                // Materialise before the scratch file goes away.
                for j in back.tensors.indices { back.tensors[j].data = .bytes(try back.tensors[j].data.readAll()) }
                current = try Mapper.decode(back, from: conv, spec: spec).0
                let wanted = Set(spec.parameters().map(\.name))
                current.tensors = current.tensors.filter { wanted.contains($0.name) }
            }
            return current
        }
    }
}
