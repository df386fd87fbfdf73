import CNZooCore
import CNZooFormats
import CNZooImages
import CNZooTestSupport
import Foundation
import Testing

/// Inputs that are not regular files — a FIFO (a shared model folder can ship one), a device behind an innocent
/// name — are refused at once, naming the file: nothing waits on a writer that never comes or reads a stream that
/// never ends.
@Suite struct SpecialFileInputTests {
    /// Runs `body` on another thread and fails unless it returns within 10 s. A body stuck opening `fifo` is released
    /// afterwards by opening the FIFO's other end, so a failing check cannot hang the test run.
    func returnsPromptly(fifo: String, _ what: String, _ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread { body(); done.signal() }
        if done.wait(timeout: .now() + 10) == .timedOut {
            Issue.record("\(what) was still waiting on the FIFO after 10 s")
            let fd = open(fifo, O_WRONLY | O_NONBLOCK)
            if fd >= 0 { close(fd) }
            _ = done.wait(timeout: .now() + 10)
        }
    }

    static func refusal(_ body: () throws -> Void) -> CNZooError? {
        do { try body() } catch let e as CNZooError { return e } catch { return nil }
        return nil
    }

    @Test func fifoCheckpointImageAndListAreRefusedWithoutWaiting() throws {
        let dir = try TestSupport.makeScratchDirectory("cnzoo-fifo")
        defer { TestSupport.removeScratch(dir) }
        for name in ["model.pth", "cat.jpg", "list.txt"] {
            let fifo = "\(dir)/\(name)"
            #expect(mkfifo(fifo, 0o600) == 0)
            returnsPromptly(fifo: fifo, name) {
                let e: CNZooError?
                switch name {
                case "cat.jpg": e = Self.refusal { _ = try ImageDecoder.decode(path: fifo) }
                case "list.txt": e = Self.refusal { _ = try ImageDataset.listFile(fifo) }
                default: e = Self.refusal { _ = try CheckpointIO.read(path: fifo) }
                }
                #expect(e?.file == fifo && e?.message.contains("not a regular file") == true, "\(String(describing: e))")
            }
        }
    }

    @Test func deviceBehindAnImageNameIsRefused() throws {
        let dir = try TestSupport.makeScratchDirectory("cnzoo-dev")
        defer { TestSupport.removeScratch(dir) }
        let image = dir + "/endless.jpg"
        #expect(symlink("/dev/zero", image) == 0)
        let e = Self.refusal { _ = try ImageDecoder.decode(path: image) }
        #expect(e?.file == image && e?.message.contains("not a regular file") == true, "\(String(describing: e))")
    }

    /// An ONNX model whose external data file is a FIFO: `inspect` (the CLI, end to end) refuses it naming that file.
    @Test func onnxExternalDataThatIsAFifoIsRefused() throws {
        let dir = try TestSupport.makeScratchDirectory("cnzoo-onnx-fifo")
        defer { TestSupport.removeScratch(dir) }
        let model = dir + "/m.onnx"
        let made = try TestSupport.run(["convert", TestSupport.fixture("forward/micro_weights.safetensors"), "--to", "onnx",
                                        "--external-data", "external", "-o", model, "--quiet"])
        #expect(made.status == 0, "\(made.stderr)")
        let data = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0 != "m.onnx" })
        try FileManager.default.removeItem(atPath: "\(dir)/\(data)")
        #expect(mkfifo("\(dir)/\(data)", 0o600) == 0)
        returnsPromptly(fifo: "\(dir)/\(data)", "inspect of m.onnx") {
            let e = Self.refusal { _ = try CheckpointIO.read(path: model) }
            #expect(e?.message.contains("not a regular file") == true && e?.file?.hasSuffix(data) == true,
                    "\(String(describing: e))")
        }
        let cli = try TestSupport.run(["inspect", model])
        #expect(cli.status != 0 && cli.stderr.contains(data) && cli.stderr.contains("not a regular file"), "\(cli.stderr)")
    }
}
