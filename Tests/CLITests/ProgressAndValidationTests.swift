import CNZooTestSupport
import Foundation
import Testing
@testable import cnzoo

/// The progress bar fits the terminal; forward-pass options and inputs it cannot use are refused up front.
@Suite struct ProgressAndValidationTests {
    @Test func theProgressBarFitsEveryWidth() {
        let bar = ProgressBar(total: 1 << 30, label: "convert", quiet: true)
        for columns in [1, 10, 20, 40, 60, 80, 200] {
            let line = bar.line(done: 400 << 20, elapsed: 1.25, columns: columns)
            #expect(line.count <= max(columns - 1, 1), "\(columns) columns: \(line)")
        }
        let wide = bar.line(done: 400 << 20, elapsed: 1.25, columns: 120)
        #expect(wide.hasPrefix("convert [#########---------------] 39%  400.0 MiB  320.0 MiB/s  ETA "), "\(wide)")
        let narrow = bar.line(done: 400 << 20, elapsed: 1.25, columns: 40)
        #expect(narrow.hasPrefix("convert 39%  400.0 MiB"), "\(narrow)")
    }

    @Test func unusableNumericsAreUsageErrors() throws {
        let input = TestSupport.fixture("forward/micro_input.npy")
        let weights = TestSupport.fixture("forward/micro_weights.safetensors")
        for (flags, message) in [(["--threads", "0"], "--threads must be at least 1"),
                                 (["--ln-eps", "nan"], "--ln-eps must be a positive finite number"),
                                 (["--ln-eps=-1e-6"], "--ln-eps must be a positive finite number"),
                                 (["--head-ln-eps", "inf"], "--head-ln-eps must be a positive finite number")] {
            let r = try TestSupport.run(["forward", "--checkpoint", weights, "--input", input] + flags)
            #expect(r.status == 2, "\(flags): \(r.stderr)")
            #expect(r.stderr.contains(message), "\(flags): \(r.stderr)")
        }
    }

    @Test func nonFiniteInputsAreRefusedNamingTheFile() throws {
        let scratch = try TestSupport.makeScratchDirectory("cnzoo-nan")
        defer { TestSupport.removeScratch(scratch) }
        var bytes = try TestSupport.readFile(TestSupport.fixture("forward/micro_input.npy"))
        let nan = Float.nan.bitPattern
        for i in 0..<4 { bytes[bytes.count - 4 + i] = UInt8(truncatingIfNeeded: nan >> (8 * UInt32(i))) }
        let input = scratch + "/nan.npy"
        try TestSupport.writeFile(input, bytes)
        let r = try TestSupport.run(["forward", "--checkpoint", TestSupport.fixture("forward/micro_weights.safetensors"),
                                     "--input", input])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains(input) && r.stderr.contains("is nan; the forward pass needs finite values"), "\(r.stderr)")
    }
}
