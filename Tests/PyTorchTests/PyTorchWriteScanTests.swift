import CNZooCore
import CNZooFormats
import CNZooPyTorch
import CNZooTestSupport
import Foundation
import Testing

@Suite struct PyTorchWriterTests {
    @Test(arguments: ["torchvision_micro_f32.pth", "torchvision_micro_bf16.pth", "views.pth", "legacy.pth",
                      "timm_ema.pth", "bigendian.pth"])
    func roundTripIsBitExactAndDeterministic(_ file: String) throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let (source, _) = try CheckpointIO.read(path: TestSupport.fixture("pytorch/\(file)"))
        let out = "\(dir)/roundtrip.pth"
        try CheckpointIO.write(source, format: .pytorch, to: out)
        let (back, format) = try CheckpointIO.read(path: out)
        #expect(format == .pytorchZip)
        #expect(try digest(back) == digest(source))
        // Same input, same bytes.
        let again = "\(dir)/again/roundtrip.pth"
        try FileManager.default.createDirectory(atPath: "\(dir)/again", withIntermediateDirectories: true)
        try CheckpointIO.write(source, format: .pytorch, to: again)
        #expect(try TestSupport.readFile(out) == TestSupport.readFile(again))
        // torch's layout: prefix = file stem, 64-byte aligned storages, version 3, byteorder little.
        let zip = try ZipArchive(file: MappedFile(path: out))
        #expect(zip.entries.first?.name == "roundtrip/data.pkl")
        #expect(zip.entries.last?.name == "roundtrip/version")
        for e in zip.entries where e.name.contains("/data/") { #expect(e.dataOffset % 64 == 0, "\(e.name)") }
        let version = try #require(zip.entry("roundtrip/version"))
        #expect(Array(try zip.storedBytes(version)) == Array("3\n".utf8))
        // The scanner finds only tensor rebuilding in what cnzoo writes.
        #expect(try PyTorchFormat.scan(path: out).isClean)
        try exportForInterop(source, name: file)
    }

    /// With CNZOO_INTEROP_OUT set, leaves a cnzoo-written .pth and its expected digests for
    /// scripts/interop/check_pytorch.py (real torch loads it with weights_only=True and mmap=True).
    private func exportForInterop(_ ckpt: Checkpoint, name: String) throws {
        guard let root = ProcessInfo.processInfo.environment["CNZOO_INTEROP_OUT"] else { return }
        let dir = "\(root)/pytorch"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = "\(dir)/\(name)"
        try CheckpointIO.write(ckpt, format: .pytorch, to: path, options: WriteOptions(overwrite: true))
        let tensors = try digest(ckpt).map { ["name": $0.name, "dtype": $0.dtype, "shape": $0.shape, "sha256": $0.sha256] as [String: Any] }
        let json = try JSONSerialization.data(withJSONObject: ["tensors": tensors], options: [.sortedKeys])
        try json.write(to: URL(fileURLWithPath: path + ".expected.json"))
    }

    @Test func crcsInTheCentralDirectoryMatchTheData() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let (source, _) = try CheckpointIO.read(path: TestSupport.fixture("pytorch/tiny.pth"))
        let out = "\(dir)/tiny.pth"
        try CheckpointIO.write(source, format: .pytorch, to: out)
        let zip = try ZipArchive(file: MappedFile(path: out))
        for e in zip.entries {
            #expect(CRC32.checksum(Array(try zip.storedBytes(e))) == e.crc32, "\(e.name)")
        }
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        // Values from Python's zlib.crc32; the long one crosses the 8-byte fast path, and feeding in pieces agrees.
        let ramp = [UInt8]((0..<5).flatMap { _ in (0..<256).map { UInt8($0) } }) + [UInt8(ascii: "x")]
        #expect(CRC32.checksum(ramp) == 0xB0C1_883F)
        let b2 = (0..<1000).map { UInt8(($0 * 7 + 3) % 256) }
        #expect(CRC32.checksum(Array(b2[0..<13])) == 0xA97A_D5C1)
        var pieces = CRC32()
        for chunk in stride(from: 0, to: 1000, by: 333) { pieces.update(Array(b2[chunk..<min(chunk + 333, 1000)])) }
        #expect(pieces.value == 0x17BC_2A46)
    }

    /// Tensors of 1 MiB or more that lie verbatim in a mapped file (one range, or MindSpore-style slices) are
    /// checksummed over the mapping and copied by the kernel; the archive must hold the same bytes and CRCs as the
    /// streamed path writes for an in-memory copy of the same tensors.
    @Test func kernelCopiedMembersMatchTheStreamedOnes() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        var rng = SplitMix64(state: 17)
        let raw = (0..<(5 << 20) + 13).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        try TestSupport.writeFile("\(dir)/raw.bin", raw)
        let file = try MappedFile(path: "\(dir)/raw.bin")
        let one = 7..<(7 + (2 << 20))                                   // unaligned start, 2 MiB
        let slices = [(3 << 20)..<((3 << 20) + (1 << 20) + 4), 3..<(1 << 20) + 3, 100..<104]  // ≥ 1 MiB and small pieces
        let sliceBytes = slices.reduce(0) { $0 + $1.count }
        let mapped = Checkpoint(tensors: [
            TensorEntry(name: "one", dtype: .f32, shape: [one.count / 4], data: .file(file, one)),
            TensorEntry(name: "small", dtype: .u8, shape: [5], data: .file(file, 1000..<1005)),
            TensorEntry(name: "slices", dtype: .f32, shape: [sliceBytes / 4],
                        data: TensorData(.chunks(file, slices), byteCount: sliceBytes)),
        ])
        var inMemory = mapped
        for i in inMemory.tensors.indices { inMemory.tensors[i].data = .bytes(try mapped.tensors[i].data.readAll()) }
        try CheckpointIO.write(mapped, format: .pytorch, to: "\(dir)/w.pth")
        try FileManager.default.createDirectory(atPath: "\(dir)/m", withIntermediateDirectories: true)
        try CheckpointIO.write(inMemory, format: .pytorch, to: "\(dir)/m/w.pth")
        #expect(try TestSupport.readFile("\(dir)/w.pth") == TestSupport.readFile("\(dir)/m/w.pth"))
        var verify = ReadOptions()
        verify.verifyCRC = true
        let back = try PyTorchFormat.read(file: MappedFile(path: "\(dir)/w.pth"), options: verify)
        #expect(back.tensors.map(\.name) == ["one", "small", "slices"])
        for (a, b) in zip(back.tensors, inMemory.tensors) { #expect(try a.data.readAll() == b.data.readAll(), "\(a.name)") }
    }

    @Test func refusesDTypesTorchCannotHoldAndExistingOutputs() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let u16 = Checkpoint(tensors: [TensorEntry(name: "x", dtype: .u16, shape: [2], data: .bytes([1, 0, 2, 0]))])
        #expect(throws: CNZooError.self) { try CheckpointIO.write(u16, format: .pytorch, to: "\(dir)/u16.pth") }
        #expect(access("\(dir)/u16.pth", F_OK) != 0)
        let ok = Checkpoint(tensors: [TensorEntry(name: "x", dtype: .i16, shape: [2], data: .bytes([1, 0, 2, 0]))])
        try CheckpointIO.write(ok, format: .pytorch, to: "\(dir)/ok.pth")
        do {
            try CheckpointIO.write(ok, format: .pytorch, to: "\(dir)/ok.pth")
            Issue.record("overwrote without --force")
        } catch let e as CNZooError {
            #expect(e.code == .exists)
        }
        try CheckpointIO.write(ok, format: .pytorch, to: "\(dir)/ok.pth", options: WriteOptions(overwrite: true))
    }
}

@Suite struct PyTorchScanTests {
    @Test(arguments: ["torchvision_micro_f32.pth", "views.pth", "legacy.pth", "timm_ema.pth", "tiny.pth"])
    func plainStateDictsAreClean(_ file: String) throws {
        let r = try PyTorchFormat.scan(path: TestSupport.fixture("pytorch/\(file)"))
        #expect(r.isClean, "\(r.findings.map(\.message))")
        #expect(r.sections.first?.opcodes["BINPERSID"] ?? 0 > 0 || file == "legacy.pth")
    }

    @Test(arguments: ["evil_reduce.pkl", "evil_stack_global.pkl", "evil_build.pkl", "evil_inst.pkl", "evil_obj.pkl",
                      "evil_reduce.pth", "torchscript.pt"])
    func maliciousPicklesAreFlaggedDangerous(_ file: String) throws {
        let marker = PyTorchExpected.shared.marker
        unlink(marker)
        let r = try PyTorchFormat.scan(path: TestSupport.fixture("pytorch/\(file)"))
        #expect(r.findings.contains { $0.severity == .dangerous }, "\(file): \(r.findings.map(\.message))")
        #expect(access(marker, F_OK) != 0)
    }

    /// Training arguments are on the documented benign allowlist: listed, not flagged (exit 0).
    @Test func trainingArgsAreBenignNotFlagged() throws {
        let r = try PyTorchFormat.scan(path: TestSupport.fixture("pytorch/official_wrapped.pth"))
        #expect(r.findings.isEmpty, "\(r.findings.map(\.message))")
        #expect(r.benign == ["argparse.Namespace"])
        #expect(r.isClean)
    }

    @Test func stackGlobalNamesAreResolvedFromTheStack() throws {
        let r = try PyTorchFormat.scan(path: TestSupport.fixture("pytorch/evil_stack_global.pkl"))
        #expect(r.sections.first?.globals.map(\.name) == ["posix.system"])
        #expect(r.sections.first?.opcodes["STACK_GLOBAL"] == 1)
        #expect(r.sections.first?.opcodes["MEMOIZE"] == 6)
    }
}

@Suite struct PyTorchRobustnessTests {
    /// Every prefix of a small file: reading (and reading all bytes) and scanning either succeed or throw.
    @Test(arguments: ["tiny.pth", "legacy.pth", "evil_build.pkl"])
    func truncationAtEveryOffsetNeverCrashes(_ file: String) throws {
        let full = try TestSupport.readFile(TestSupport.fixture("pytorch/\(file)"))
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let path = "\(dir)/cut"
        var failures = 0
        for n in 0..<full.count {
            try TestSupport.writeFile(path, Array(full[0..<n]))
            do {
                let ckpt = try PyTorchFormat.read(file: MappedFile(path: path))
                for t in ckpt.tensors { _ = try t.data.readAll() }
            } catch is CNZooError {
                failures += 1
            }
            _ = try? PyTorchFormat.scan(path: path)
        }
        #expect(failures == full.count, "every strict prefix of \(file) must be refused")
    }

    /// Every single-byte corruption of a small archive is handled (read or refused), never a crash.
    @Test func corruptingEveryByteNeverCrashes() throws {
        let full = try TestSupport.readFile(TestSupport.fixture("pytorch/tiny.pth"))
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let path = "\(dir)/flip.pth"
        for i in 0..<full.count {
            var b = full
            b[i] ^= 0xFF
            try TestSupport.writeFile(path, b)
            do {
                let ckpt = try PyTorchFormat.read(file: MappedFile(path: path))
                for t in ckpt.tensors { _ = try t.data.readAll() }
            } catch is CNZooError {}
            _ = try? PyTorchFormat.scan(path: path)
        }
    }

    @Test func deepNestingAndHugeLengthsAreBounded() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        // 100k nested MARKs, then a BINUNICODE claiming 4 GiB.
        let cases: [[UInt8]] = [
            [0x80, 0x02] + [UInt8](repeating: 0x28, count: 100_000) + [0x2E],
            [0x80, 0x02, 0x58, 0xFF, 0xFF, 0xFF, 0xFF, 0x41, 0x2E],
            [0x80, 0x02, 0x68, 0x05, 0x2E],           // BINGET of a memo key never stored
            [0x80, 0x02, 0x4E, 0x62, 0x2E],           // BUILD on nothing
        ]
        for (i, bytes) in cases.enumerated() {
            let path = "\(dir)/case\(i).pkl"
            try TestSupport.writeFile(path, bytes)
            #expect(throws: CNZooError.self) { try PyTorchFormat.read(file: MappedFile(path: path)) }
        }
    }
}

@Suite struct ScanCLITests {
    @Test func exitCodesFollowTheScannerConvention() throws {
        let clean = try TestSupport.run(["scan", TestSupport.fixture("pytorch/views.pth")])
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(clean.stdout.contains("torch._utils._rebuild_tensor_v2"))
        let evil = try TestSupport.run(["scan", TestSupport.fixture("pytorch/evil_reduce.pth"), "--json"])
        #expect(evil.status == 1)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(evil.stdout.utf8)) as? [String: Any])
        let findings = try #require(obj["findings"] as? [[String: Any]])
        #expect(findings.contains { ($0["message"] as? String)?.contains("posix.system") == true })
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        try TestSupport.writeFile("\(dir)/junk.bin", Array("not a pickle at all".utf8))
        let junk = try TestSupport.run(["scan", "\(dir)/junk.bin"])
        #expect(junk.status == 2, "\(junk.stdout) \(junk.stderr)")
        #expect(access(PyTorchExpected.shared.marker, F_OK) != 0)
    }

    @Test func inspectRefusesMaliciousFilesAndReportsWrappedExtras() throws {
        let evil = try TestSupport.run(["inspect", TestSupport.fixture("pytorch/evil_reduce.pth")])
        #expect(evil.status == 1)
        #expect(evil.stderr.contains("posix.system"))
        let wrapped = try TestSupport.run(["inspect", TestSupport.fixture("pytorch/official_wrapped.pth"), "--json"])
        #expect(wrapped.status == 0, "\(wrapped.stderr)")
        #expect(wrapped.stdout.contains("argparse.Namespace"))
        let script = try TestSupport.run(["inspect", TestSupport.fixture("pytorch/torchscript.pt")])
        #expect(script.status == 2)
        #expect(script.stderr.contains("TorchScript"))
    }
}
