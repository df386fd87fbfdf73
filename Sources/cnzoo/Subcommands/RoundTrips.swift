import CNZooCore
import CNZooFormats
import CNZooVerify
import Foundation

/// The conversion round trips `cnzoo verify` runs on canonical weights.
enum RoundTrips {
    /// Every round trip available in this build.
    static func all() -> [CheckpointParity.RoundTrip] {
        [viaFile("canonical → safetensors → canonical", format: .safetensors, ext: "safetensors")]
    }

    /// Writes the canonical checkpoint in `format` to a scratch file, reads it back.
    static func viaFile(_ label: String, format: CheckpointFormat, ext: String) -> CheckpointParity.RoundTrip {
        CheckpointParity.RoundTrip(path: label) { ckpt in
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cnzoo-verify-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let path = dir + "/weights.\(ext)"
            try CheckpointIO.write(ckpt, format: format, to: path)
            var (back, _) = try CheckpointIO.read(path: path)
            // Materialise before the scratch file goes away.
            for i in back.tensors.indices { back.tensors[i].data = .bytes(try back.tensors[i].data.readAll()) }
            return back
        }
    }
}
