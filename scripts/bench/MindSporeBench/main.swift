// mindspore-bench: times cnzoo's MindSpore .ckpt reader and writer inside one process (driven by
// scripts/bench/ckpt_rw.py, which also times MindSpore itself on the same file).
//
//   mindspore-bench parse FILE [RUNS]        parse + validate the record stream (what `inspect` costs)
//   mindspore-bench read FILE [RUNS]         parse, then copy every tensor's bytes into memory (like load_checkpoint)
//   mindspore-bench write IN OUT [RUNS]      parse IN, stream it to OUT through the atomic writer (fsync included)
//   mindspore-bench write-crc IN OUT [RUNS]  the same with a crc_num trailer
//
// Prints one line per run: `<mode> <seconds> <bytes>`.
import CNZooCore
import CNZooMindSpore
#if canImport(Glibc)
import Glibc
#endif

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

func fail(_ message: String) -> Never {
    fputs("mindspore-bench: \(message)\n", stderr)
    exit(2)
}

let args = CommandLine.arguments
guard args.count >= 3 else { fail("usage: mindspore-bench parse|read|write|write-crc FILE [OUT] [RUNS]") }
let mode = args[1]
let writes = mode.hasPrefix("write")
let runsArg = writes ? (args.count > 4 ? args[4] : "5") : (args.count > 3 ? args[3] : "5")
guard let runs = Int(runsArg), runs > 0 else { fail("bad run count \(runsArg)") }

do {
    for _ in 0..<runs {
        let start = now()
        let ckpt = try MindSporeFormat.read(path: args[2])
        var bytes = ckpt.byteCount
        switch mode {
        case "parse":
            break
        case "read":
            var held: [[UInt8]] = []
            held.reserveCapacity(ckpt.tensors.count)
            for t in ckpt.tensors { held.append(try t.data.readAll()) }
            bytes = held.reduce(0) { $0 + $1.count }
        case "write", "write-crc":
            guard args.count > 3 else { fail("write needs an output path") }
            try MindSporeFormat.write(ckpt, to: args[3], options: WriteOptions(overwrite: true, crc: mode == "write-crc"))
        default:
            fail("unknown mode \(mode)")
        }
        print("\(mode) \(now() - start) \(bytes)")
    }
} catch {
    fail("\(error)")
}
