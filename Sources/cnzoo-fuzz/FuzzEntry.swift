#if CNZOO_FUZZING
import CNZooFuzzHarnesses
#if canImport(Glibc)
import Glibc
#endif

// Built by scripts/fuzz.sh with `-D CNZOO_FUZZING -sanitize=fuzzer,address`. SwiftPM links an executable's entry
// point as `<module>_main`, so that function hands control to libFuzzer's driver, which calls
// `LLVMFuzzerTestOneInput` per input; the harness is picked by the CNZOO_FUZZ_HARNESS environment variable.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

@_cdecl("cnzoo_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) }
}
nonisolated(unsafe) private var selected: ((UnsafeRawBufferPointer) -> Void)? = nil

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    if selected == nil {
        let name = getenv("CNZOO_FUZZ_HARNESS").map { String(cString: $0) } ?? ""
        guard let h = Harnesses.all[name] else {
            fputs("set CNZOO_FUZZ_HARNESS to one of: \(Harnesses.all.keys.sorted().joined(separator: ", "))\n", stderr)
            exit(2)
        }
        selected = h
    }
    selected?(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#endif
