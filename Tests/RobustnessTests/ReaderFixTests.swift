import CNZooCore
import CNZooFormats
import CNZooTestSupport
@testable import CNZooPyTorch
import Testing

/// Regression tests for the reader bugs the hostile corpus found (each also has a file in Fixtures/hostile/).
@Suite struct ReaderFixTests {
    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    static func binunicode(_ s: String) -> [UInt8] {
        let b = Array(s.utf8)
        let n = UInt32(b.count)
        return [0x58, UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8((n >> 16) & 0xFF), UInt8(n >> 24)] + b
    }

    /// BUILD's `(state, slotstate)` form setattr's every slot-state item in Python, so a dunder there (an instance
    /// `__setstate__` that a second BUILD would call) must be refused exactly like a dunder in a state dict.
    @Test func buildSlotStateDunderIsRefused() throws {
        let pkl: [UInt8] = [0x80, 0x02] + Self.bytes("cargparse\nNamespace\n)") + [0x81, 0x4E, 0x7D]
            + Self.binunicode("__setstate__") + Self.bytes("ccollections\nCounter\ns") + [0x86, 0x62]
            + Self.binunicode("x") + [0x62, 0x2E]
        try pkl.withUnsafeBytes { raw in
            let m = PickleMachine(raw)
            _ = try m.run()
            let error = #expect(throws: CNZooError.self) { try PickleSafety.refuseCodeExecution(m, file: nil) }
            #expect(error?.code == .unsafe)
            #expect(error?.message.contains("'__setstate__'") == true)
        }
    }

    /// The plain dict form is still refused, and a harmless slot state still passes.
    @Test func buildSlotStateWithoutDunderPasses() throws {
        let pkl: [UInt8] = [0x80, 0x02] + Self.bytes("cargparse\nNamespace\n)") + [0x81, 0x4E, 0x7D]
            + Self.binunicode("lr") + [0x4B, 0x01, 0x73, 0x86, 0x62, 0x2E]
        try pkl.withUnsafeBytes { raw in
            let m = PickleMachine(raw)
            _ = try m.run()
            try PickleSafety.refuseCodeExecution(m, file: nil)
        }
    }

    @Test func zipNamesThatEscapeTheirFolderAreRefused() {
        #expect(ZipArchive.unsafeNameReason("archive/data.pkl") == nil)
        #expect(ZipArchive.unsafeNameReason("archive/data/0") == nil)
        #expect(ZipArchive.unsafeNameReason("my..model/data.pkl") == nil)
        #expect(ZipArchive.unsafeNameReason("../data.pkl") == "has a '..' component")
        #expect(ZipArchive.unsafeNameReason("archive/../../etc/passwd") == "has a '..' component")
        #expect(ZipArchive.unsafeNameReason("archive\\..\\version") == "has a '..' component")
        #expect(ZipArchive.unsafeNameReason("/archive/data.pkl") == "is absolute")
        #expect(ZipArchive.unsafeNameReason("\\archive") == "is absolute")
        #expect(ZipArchive.unsafeNameReason("C:/archive/data.pkl") == "is absolute (a drive letter)")
        #expect(ZipArchive.unsafeNameReason("") == "is empty")
    }

    @Test func protocolZeroPicklesAreDetected() {
        func detect(_ s: String) -> DetectedFormat { Array(s.utf8).withUnsafeBytes { FormatDetector.detect($0) } }
        #expect(detect("cos\nsystem\n(S'echo'\ntR.") == .pickle)
        #expect(detect("(S'x'\nios\nsystem\n.") == .pickle)
        #expect(detect("}q\u{0}.") == .pickle)
        #expect(detect("(dp0\nS'a'\np1\nI1\ns.") == .pickle)
        // Not pickles: no final STOP, or text that only starts like one.
        #expect(detect("cos\nsystem\n(S'echo'\ntR") == .unknown)
        #expect(detect("cat and dog.") == .unknown)
        #expect(detect("( hello world.") == .unknown)
    }

    @Test func safetensorsWithAbsurdHeaderLengthReachesTheReader() {
        var b: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0x80]
        b += Array("{\"a\":1}".utf8)
        #expect(b.withUnsafeBytes { FormatDetector.detect($0) } == .safetensors)
    }
}

/// A strided view may not expand its storage without bound when materialised (found while reviewing what the `pth`
/// harness's malloc limit would catch: a 4-byte storage viewed with stride 0 as 2^30 elements took 4 GiB and 70 s).
@Suite struct ViewAmplificationTests {
    @Test func zeroStrideViewBombIsRefused() throws {
        let path = TestSupport.fixture("hostile/view_stride0_bomb.pth")
        let error = #expect(throws: CNZooError.self) { _ = try CheckpointIO.read(path: path) }
        #expect(error?.code == .limitExceeded)
        #expect(error?.message.contains("maxViewAmplification") == true)
    }

    /// Real views (a slice of a bigger storage, transposes) are far below the bound and still read.
    @Test func ordinaryViewsStillRead() throws {
        let (ckpt, _) = try CheckpointIO.read(path: TestSupport.fixture("pytorch/views.pth"))
        for t in ckpt.tensors { _ = try t.data.readAll() }
        #expect(!ckpt.tensors.isEmpty)
    }
}
