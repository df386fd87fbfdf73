import CNZooCore
import CNZooFormats
import CNZooKeras
import CNZooMindSpore
import CNZooNumPy
import CNZooPyTorch
import CNZooSafeTensors
import CNZooTestSupport
import Foundation
import Testing

/// The format plug-ins (`FormatPlugin`), their registry (`Formats.all`) and the `CheckpointIO` façade over it.
@Suite struct FormatRegistryTests {
    static let sample = Checkpoint(tensors: [
        TensorEntry(name: "w", dtype: .f32, shape: [2, 3], data: .bytes(Array(0..<24))),
        TensorEntry(name: "b", dtype: .bf16, shape: [3], data: .bytes(Array(24..<30))),
    ])

    @Test func registryListsEachFormatOnce() throws {
        let names = Formats.all.map(\.format.rawValue)
        #expect(names == ["safetensors", "pytorch", "mindspore", "numpy", "npz", "keras", "onnx", "huggingface"])
        #expect(Set(Formats.all.map(\.fileExtension)).count == Formats.all.count)
        for p in Formats.all { #expect(try #require(Formats.plugin(for: p.format)).format == p.format) }
        #expect(Formats.plugin(for: CheckpointFormat(rawValue: "no-such-format")) == nil)
        #expect(Formats.writable == [.safetensors, .pytorch, .mindspore, .keras])
    }

    @Test func formatNamesKeepTheirJSONSpelling() throws {
        let encoded = try JSONEncoder().encode([CheckpointFormat.safetensors, .pytorch, .mindspore, .numpy])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["safetensors","pytorch","mindspore","numpy"]"#)
        #expect(try JSONDecoder().decode(CheckpointFormat.self, from: Data(#""mindspore""#.utf8)) == .mindspore)
    }

    /// Every writable format: write through the façade, detect by content (no extension), read back bit-exactly.
    @Test(arguments: Formats.writable)
    func writeDetectReadThroughTheRegistry(_ format: CheckpointFormat) throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let path = dir + "/out.bin"
        try CheckpointIO.write(Self.sample, format: format, to: path)
        let detected = try FormatDetector.detect(path: path)
        #expect(detected.checkpointFormat == format)
        let (back, viaRead) = try CheckpointIO.read(path: path)
        #expect(viaRead == detected)
        // HDF5 lists a group's members by name (Keras loads by path, not by order); every other format keeps order.
        if format == .hdf5 {
            #expect(Set(back.tensors.map(\.name)) == ["w", "b"])
        } else {
            #expect(back.tensors.map(\.name) == ["w", "b"])
        }
        for y in Self.sample.tensors {
            let x = try #require(back.tensor(named: y.name))
            #expect(x.dtype == y.dtype && x.shape == y.shape)
            #expect(try x.data.readAll() == y.data.readAll())
        }
        // Detection needs only the probe: the first bytes and the size.
        let bytes = try TestSupport.readFile(path)
        let probe = bytes.withUnsafeBytes { FormatProbe(bytes: $0, path: path) }
        #expect(probe.head.count == min(bytes.count, FormatProbe.headLength))
        #expect(Formats.detect(probe)?.match.detected == detected)
    }

    @Test func strongerEvidenceWins() {
        // A safetensors header length of 0x0280 starts like a protocol-2 pickle (80 02); the header wins.
        var b: [UInt8] = [0x80, 0x02, 0, 0, 0, 0, 0, 0]
        b += Array(#"{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}"#.utf8)
        #expect(b.withUnsafeBytes { FormatDetector.detect($0) } == .safetensors)
        #expect(b.withUnsafeBytes { PyTorchPlugin().detect(FormatProbe(bytes: $0)) }?.detected == .pickle)
        #expect([UInt8]([0x80, 0x02, 0x7D, 0x2E]).withUnsafeBytes { FormatDetector.detect($0) } == .pickle)
        let hdf5: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]
        #expect(hdf5.withUnsafeBytes { FormatDetector.detect($0) } == .hdf5)
        #expect([UInt8]().withUnsafeBytes { FormatDetector.detect($0) } == .unknown)
    }

    /// A format sharing a container (an `.npz` is a zip too) claims it with `.specific` evidence and wins over the
    /// container's generic claim; it reads nothing here, so the default `read` refuses by name.
    @Test func aSpecificClaimBeatsTheContainersSignature() throws {
        struct NpzLike: FormatPlugin {
            var format: CheckpointFormat { CheckpointFormat(rawValue: "npz-test") }
            var summary: String { "test double: zips whose first entry is an .npy" }
            var fileExtension: String { "npz" }
            var canRead: Bool { false }
            var canWrite: Bool { false }
            func detect(_ probe: FormatProbe) -> FormatMatch? {
                // Local file header: the name starts at offset 30, its length is at 26.
                guard probe.starts(with: [0x50, 0x4B, 0x03, 0x04]), probe.head.count >= 30 else { return nil }
                let n = Int(probe.head[26]) | Int(probe.head[27]) << 8
                guard probe.head.count >= 30 + n else { return nil }
                let name = String(decoding: probe.head[30..<(30 + n)], as: UTF8.self)
                return name.hasSuffix(".npy") ? FormatMatch(DetectedFormat(format), .specific) : nil
            }
        }
        func zip(entry: String) -> [UInt8] {
            [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 22) + [UInt8(entry.utf8.count), 0, 0, 0]
                + Array(entry.utf8)
        }
        // The real `.npz` plug-in makes the same claim; leave it out so the double's claim is the one tested.
        let plugins: [any FormatPlugin] = Formats.all.filter { $0.format.rawValue != "npz" } + [NpzLike()]
        let npz = zip(entry: "arr_0.npy").withUnsafeBytes { Formats.detect(FormatProbe(bytes: $0), among: plugins) }
        #expect(npz?.match.detected.rawValue == "npz-test")
        let pth = zip(entry: "archive/data.pkl").withUnsafeBytes { Formats.detect(FormatProbe(bytes: $0), among: plugins) }
        #expect(pth?.match.detected == .pytorchZip)
        #expect(throws: CNZooError.self) {
            try NpzLike().read(.file(MappedFile(copying: UnsafeRawBufferPointer(start: nil, count: 0))),
                               options: ReadOptions())
        }
    }

    @Test func recognisedButUnreadableFormatsSayso() throws {
        let dir = try TestSupport.makeScratchDirectory()
        defer { TestSupport.removeScratch(dir) }
        let h5 = dir + "/weights.h5"
        try Data([0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0]).write(to: URL(fileURLWithPath: h5))
        do {
            _ = try CheckpointIO.read(path: h5)
            Issue.record("a 12-byte HDF5 file was read")
        } catch let e as CNZooError {
            #expect(e.code == .unsupported)  // HDF5 is read now (CNZooKeras); a zeroed superblock is refused
            #expect(e.message.contains("HDF5 offsets of 0 and lengths of 0 bytes"))
        }
        do {
            try CheckpointIO.write(Self.sample, format: .numpy, to: dir + "/x.npy")
            Issue.record("a checkpoint was written as .npy")
        } catch let e as CNZooError {
            #expect(e.code == .unsupported)
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.npy"))
        // A folder no format claims (no folder format is registered yet).
        do {
            _ = try CheckpointIO.read(path: dir)
            Issue.record("a folder was read")
        } catch let e as CNZooError {
            #expect(e.code == .unknownFormat)
        }
        #expect(try FormatDetector.detect(path: dir) == .unknown)
    }

    @Test func formatSpellingsOfDTypesLiveInTheirModules() {
        for (d, name) in DType.torchStorageClasses.pairs {
            #expect(d.isKnown && DType(torchStorageClass: name) == d && d.torchStorageClass == name)
        }
        for (d, name) in DType.mindsporeTypeNames.pairs {
            #expect(d.isKnown && DType(mindsporeTypeName: name) == d && d.mindsporeTypeName == name)
        }
        for (d, name) in DType.numpyDescrs.pairs {
            #expect(d.isKnown && DType(numpyDescr: name) == d && d.numpyDescr == name)
        }
        #expect(DType.f32.torchStorageClass == "FloatStorage")
        #expect(DType.u16.torchStorageClass == nil)
        #expect(DType.bf16.mindsporeTypeName == "BFloat16")
        #expect(DType.bf16.numpyDescr == nil)
        #expect(DType(numpyDescr: "=f4") == .f32)
        #expect(DType(numpyDescr: "<i1") == .i8)
        #expect(DType(numpyDescr: ">f4") == nil)
    }

    @Test func formatOptionsLiveInTheirModules() {
        var w = WriteOptions(overwrite: true)
        #expect(!w.crc)
        w.crc = true
        #expect(w.crc && w.overwrite)
        #expect(w.formatOptions[MindSporeWriteOptions.self]?.crc == true)
        #expect(WriteOptions(crc: true).crc)
        let r = ReadOptions(key: "state_dict", stripPrefixes: true)
        #expect(r.key == "state_dict" && r.stripPrefixes)
        #expect(ReadOptions().key == nil && !ReadOptions().stripPrefixes)
    }
}
