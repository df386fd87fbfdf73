// swift-tools-version:6.0
// cnzoo — move ConvNeXt / ConvMixer checkpoints between PyTorch, MindSpore and safetensors, and keep a zoo of them.
//
// Rooms (one module each; data flows one way):
//   CNZooCore        neutral vocabulary: DType, TensorEntry, Checkpoint, errors, byte cursor, limits, atomic output
//   CNZooSafeTensors safetensors reader / writer
//   CNZooPyTorch     .pth zip container, data-only pickle machine, state-dict decoder, pickle writer
//   CNZooMindSpore   .ckpt protobuf stream reader / writer
//   CNZooLibZip      the one wrapper over libzip (bounded, from bytes in memory): .npz, .keras, zip cross-check
//   CNZooNumPy       .npy reader / writer, .npz reader
//   CNZooKeras       Keras .weights.h5 / legacy .h5 (libhdf5 in a child process, C: CNZooKerasC) and .keras (libzip)
//   CNZooFormats     the format registry (one FormatPlugin per format) + CheckpointIO, the façade over it
//   CNZooMapping     architecture specs, naming conventions, strict mapper, detector
//   CNZooConversion  the conversion pipeline, diff and inspect reports (what the CLI and other tools call)
//   CNZooModels      kernels and the ConvNeXt / ConvMixer forward passes over canonical weights (C kernels:
//                    CNZooKernelsC; worker pool: CNZooParallelC)
//   CNZooEmbeddedData the zoo manifests and verify reference logits, embedded at build time (EmbedDataPlugin)
//   CNZooZoo         versioned manifests, registry, fetcher
//   CNZooImages      JPEG/PNG decoding (C: CNZooImageC), PIL-exact resize/crop/normalise, labelled images
//   CNZooVerify      verification runner (conversion + round trip + forward parity)
//   cnzoo            thin command-line front end
//   C shims          one systemLibrary per C library: libcrypto (SHA-256), zlib (CRC-32), libjpeg, libpng, …
//                    (OpenBLAS, the optional --gemm engine, is dlopen()ed on first use, not linked: Gemm.swift)
import PackageDescription

let package = Package(
    name: "cnzoo",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "CNZoo", targets: [
            "CNZooCore", "CNZooSafeTensors", "CNZooPyTorch", "CNZooMindSpore", "CNZooLibZip", "CNZooNumPy", "CNZooKeras",
            "CNZooFormats", "CNZooMapping", "CNZooConversion", "CNZooModels", "CNZooZoo", "CNZooVerify", "CNZooImages",
            "CNZooEmbeddedData", "CNZooONNX", "CNZooHuggingFace",
        ]),
        .executable(name: "cnzoo", targets: ["cnzoo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CLibCrypto", path: "Sources/CLibCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),

        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg",
                       providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CLibZip", path: "Sources/CLibZip", pkgConfig: "libzip", providers: [.apt(["libzip-dev"])]),
        .systemLibrary(name: "CProtobufC", path: "Sources/CProtobufC", pkgConfig: "libprotobuf-c",
                       providers: [.apt(["libprotobuf-c-dev"])]),

        // protoc-c output, committed (scripts/gen-protobuf-c.sh regenerates it from proto/; see that script for why).
        .target(name: "CONNXProto", dependencies: ["CProtobufC"]),
        .target(name: "CMindSporeCheckpointPB", dependencies: ["CProtobufC"]),

        .target(name: "CNZooCore", dependencies: ["CLibCrypto", "CZlib", "CNZooKernelsC"]),
        .target(name: "CNZooSafeTensors", dependencies: ["CNZooCore"]),
        .target(name: "CNZooPyTorch", dependencies: ["CNZooCore"]),
        .target(name: "CNZooMindSpore", dependencies: ["CNZooCore"]),
        // Hugging Face model folders: reads and writes its weight files through the registry (Files), so Core only.
        .target(name: "CNZooHuggingFace", dependencies: ["CNZooCore"]),
        // libzip, wrapped once: `.npz` and `.keras` archives, and the cross-check of cnzoo's own zip reader.
        .target(name: "CNZooLibZip", dependencies: ["CNZooCore", "CLibZip"]),
        .target(name: "CNZooNumPy", dependencies: ["CNZooCore", "CNZooLibZip"]),
        // Keras: libhdf5 walks untrusted files in a forked child (CNZooKerasC), libzip opens `.keras` archives.
        .target(name: "CNZooKerasC", dependencies: ["CHDF5"]),
        .target(name: "CNZooKeras", dependencies: ["CNZooCore", "CNZooKerasC", "CNZooLibZip"]),
        .target(name: "CNZooFormats", dependencies: [
            "CNZooCore", "CNZooSafeTensors", "CNZooPyTorch", "CNZooMindSpore", "CNZooNumPy", "CNZooKeras", "CNZooONNX",
            "CNZooHuggingFace",
        ]),
        .target(name: "CNZooMapping", dependencies: ["CNZooCore", "CNZooKernelsC"]),
        .target(name: "CNZooONNX", dependencies: ["CNZooCore", "CNZooMapping", "CONNXProto", "CProtobufC"]),
        // The pipeline as a library: read → detect → canonical → encode → cast → write, with its report; diff; inspect.
        .target(name: "CNZooConversion", dependencies: [
            "CNZooCore", "CNZooFormats", "CNZooMapping", "CNZooPyTorch", "CNZooNumPy", "CNZooONNX", "CNZooHuggingFace",
        ]),
        // cnzoo's C kernels, compiled per ISA (AVX-512, AVX2+FMA, portable) and chosen at run time.
        .target(name: "CNZooKernelsC"),
        // The persistent worker pool the forward pass's parallel loops run on (pthreads; spins briefly, then sleeps).
        .target(name: "CNZooParallelC"),
        .target(name: "CNZooModels", dependencies: [
            "CNZooCore", "CNZooMapping", "CNZooKernelsC", "CNZooParallelC",
        ]),
        // Zoo/*.json, Zoo/labels/*.json and Fixtures/**/*_logits_*.npy, embedded at build time by a build-tool
        // plugin (one copy of the data: the files themselves; the rule is in Plugins/EmbedDataPlugin/embed-data.sh).
        .plugin(name: "EmbedDataPlugin", capability: .buildTool()),
        .target(name: "CNZooEmbeddedData", plugins: ["EmbedDataPlugin"]),
        .target(name: "CNZooZoo", dependencies: ["CNZooCore", "CNZooMapping", "CNZooEmbeddedData"]),
        // JPEG / PNG decoding (the libraries' longjmp error handling lives in C) and PIL-exact preprocessing.
        .target(name: "CNZooImageC", dependencies: ["CJPEG", "CPNG"]),
        .target(name: "CNZooImages", dependencies: ["CNZooCore", "CNZooImageC"]),
        .target(name: "CNZooVerify", dependencies: [
            "CNZooCore", "CNZooFormats", "CNZooMapping", "CNZooConversion", "CNZooModels", "CNZooZoo", "CNZooNumPy",
            "CNZooImages", "CNZooEmbeddedData",
        ]),
        .executableTarget(name: "cnzoo", dependencies: [
            "CNZooCore", "CNZooFormats", "CNZooMapping", "CNZooConversion", "CNZooModels", "CNZooZoo", "CNZooVerify",
            "CNZooImages", "CNZooPyTorch", "CNZooNumPy", "CNZooONNX", "CNZooHuggingFace",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Fuzz harnesses (a library, so tests can replay crashers) and the libFuzzer driver scripts/fuzz.sh builds.
        .target(name: "CNZooFuzzHarnesses", dependencies: [
            "CNZooCore", "CNZooFormats", "CNZooSafeTensors", "CNZooPyTorch", "CNZooMindSpore", "CNZooNumPy", "CNZooKeras",
            "CNZooLibZip", "CNZooONNX", "CMindSporeCheckpointPB",
        ]),
        .executableTarget(name: "cnzoo-fuzz", dependencies: ["CNZooFuzzHarnesses"]),
        // Benchmark driver for scripts/bench/ckpt_rw.py (not a product; build with --product mindspore-bench).
        .executableTarget(name: "mindspore-bench", dependencies: ["CNZooMindSpore", "CNZooCore"],
                          path: "scripts/bench/MindSporeBench"),

        .target(name: "CNZooTestSupport", dependencies: ["CNZooCore"]),

        .testTarget(name: "CoreTests", dependencies: ["CNZooCore", "CNZooTestSupport"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["CNZooSafeTensors", "CNZooCore", "CNZooTestSupport"]),
        .testTarget(name: "MappingTests", dependencies: [
            "CNZooMapping", "CNZooFormats", "CNZooConversion", "CNZooCore", "CNZooTestSupport",
        ]),
        .testTarget(name: "RobustnessTests", dependencies: [
            "CNZooFuzzHarnesses", "CNZooCore", "CNZooFormats", "CNZooKeras", "CNZooPyTorch", "CNZooSafeTensors", "CNZooMindSpore",
            "CNZooNumPy", "CNZooLibZip", "CNZooMapping", "CNZooImages", "CNZooTestSupport",
        ]),
        .testTarget(name: "MindSporeTests", dependencies: [
            "CNZooMindSpore", "CNZooFormats", "CNZooCore", "CNZooTestSupport",
        ]),
        .testTarget(name: "CLITests", dependencies: ["CNZooTestSupport", "CNZooCore", "cnzoo"]),
        .testTarget(name: "ModelsTests", dependencies: [
            "CNZooModels", "CNZooVerify", "CNZooNumPy", "CNZooSafeTensors", "CNZooCore", "CNZooTestSupport", "CNZooFormats",
            "CNZooMapping",
        ]),
        .testTarget(name: "ImagesTests", dependencies: [
            "CNZooImages", "CNZooVerify", "CNZooModels", "CNZooFormats", "CNZooMapping", "CNZooConversion", "CNZooNumPy",
            "CNZooZoo", "CNZooCore",
            "CNZooTestSupport",
        ]),
        .testTarget(name: "ONNXTests", dependencies: [
            "CNZooONNX", "CONNXProto", "CNZooFormats", "CNZooMapping", "CNZooCore", "CNZooTestSupport",
        ]),
        .testTarget(name: "KerasTests", dependencies: [
            "CNZooKeras", "CNZooFormats", "CNZooMapping", "CNZooModels", "CNZooNumPy", "CNZooCore", "CNZooTestSupport",
        ]),
        .testTarget(name: "HuggingFaceTests", dependencies: [
            "CNZooHuggingFace", "CNZooFormats", "CNZooMapping", "CNZooConversion", "CNZooVerify", "CNZooNumPy",
            "CNZooSafeTensors", "CNZooCore", "CNZooTestSupport",
        ]),
        .testTarget(name: "NumPyTests", dependencies: ["CNZooNumPy", "CNZooCore", "CNZooTestSupport"]),
        .testTarget(name: "PyTorchTests", dependencies: [
            "CNZooPyTorch", "CNZooFormats", "CNZooCore", "CNZooTestSupport",
        ]),
        .testTarget(name: "ZooTests", dependencies: [
            "CNZooZoo", "CNZooMapping", "CNZooCore", "CNZooTestSupport", "CNZooEmbeddedData",
        ],
                    exclude: ["Goldens"]),
    ],
    swiftLanguageModes: [.v5]
)
