import CNZooCore
import CNZooFormats
import CNZooMindSpore
import CNZooSafeTensors

/// The fuzz harnesses: each takes arbitrary bytes and must return normally (errors are fine; crashes, leaks and
/// hangs are bugs). `scripts/fuzz.sh HARNESS` builds them into `cnzoo-fuzz` with libFuzzer + AddressSanitizer;
/// `swift test` replays every saved crasher and every fixture through them (RobustnessTests).
public enum Harnesses {
    /// Every harness by name.
    public static let all: [String: (UnsafeRawBufferPointer) -> Void] = [
        "json": { bytes in _ = try? JSONParser.parse(bytes) },
        "safetensors": { bytes in
            guard let header = try? SafeTensors.parseHeader(bytes) else { return }
            _ = try? SafeTensors.validate(header, fileSize: bytes.count)
        },
        "detect": { bytes in _ = FormatDetector.detect(bytes) },
        // CRC not verified, so mutants reach the record parser instead of stopping at the checksum.
        "mindspore": { bytes in _ = try? MindSporeFormat.validate(bytes, verifyCRC: false) },
    ]
}
