#if !CNZOO_FUZZING
import CNZooFuzzHarnesses
#if canImport(Glibc)
import Glibc
#endif

/// In a normal build, `cnzoo-fuzz HARNESS FILE...` replays files through a harness (to reproduce a crasher).
@main
struct Replay {
    static func main() {
        let args = CommandLine.arguments
        guard args.count >= 3, let harness = Harnesses.all[args[1]] else {
            fputs("usage: cnzoo-fuzz HARNESS FILE... (harnesses: \(Harnesses.all.keys.sorted().joined(separator: ", ")))\n",
                  stderr)
            exit(2)
        }
        for path in args.dropFirst(2) {
            guard let f = fopen(path, "rb") else {
                fputs("cannot open \(path)\n", stderr)
                exit(2)
            }
            var bytes = [UInt8]()
            var buf = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = fread(&buf, 1, buf.count, f)
                if n <= 0 { break }
                bytes += buf[0..<n]
            }
            fclose(f)
            bytes.withUnsafeBytes { harness($0) }
            print("ok \(path)")
        }
    }
}
#endif
