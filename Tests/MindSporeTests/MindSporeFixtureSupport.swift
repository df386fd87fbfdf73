import CNZooCore
import CNZooTestSupport
import Foundation

/// `Fixtures/mindspore/expected.json`, written by `Fixtures/generate_mindspore.py` from the source tensors.
struct MindSporeExpected: Decodable {
    struct Tensor: Decodable {
        let name: String
        let dtype: String
        let shape: [Int]
        let sha256: String
    }
    struct Fixture: Decodable {
        let tensors: [Tensor]?
        let extras: [String: String]?
        let crc: Bool?
        let encrypted: Bool?
    }
    let fixtures: [String: Fixture]

    static func load() throws -> MindSporeExpected {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestSupport.fixture("mindspore/expected.json")))
        return try JSONDecoder().decode(MindSporeExpected.self, from: data)
    }
}

enum MindSporeFixtures {
    static func path(_ name: String) -> String { TestSupport.fixture("mindspore/\(name)") }

    /// The sha256 of all of a tensor's bytes.
    static func sha256(_ t: TensorEntry) throws -> String {
        var h = SHA256()
        try t.data.forEachChunk { h.update($0) }
        return h.finalizeHex()
    }

    /// The readable `.ckpt` fixtures.
    static let plainCkpts = ["micro_mindcv_f32.ckpt", "micro_mindcv_f16.ckpt", "micro_mindcv_bf16.ckpt",
                             "micro_mindvision_f32.ckpt", "train_adamw.ckpt", "dtypes.ckpt", "micro_crc.ckpt",
                             "sliced.ckpt"]
}
