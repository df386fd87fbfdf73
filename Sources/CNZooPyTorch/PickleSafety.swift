import CNZooCore

/// What cnzoo thinks of the globals and calls in a pickle. Nothing here runs anything: it only classifies names.
public enum PickleSafety {
    /// How a global is judged.
    public enum Verdict: String, Sendable, Codable {
        /// Needed to rebuild tensors and state dicts (what a weights-only loader needs).
        case tensor
        /// Not needed for weights, but only builds plain data when loaded (`benignGlobals`: training arguments,
        /// numpy scalars and arrays): listed by `scan`, not flagged.
        case benign
        /// Beyond tensor rebuilding: an arbitrary class or function (training args, user objects...).
        case unsafe
        /// Names a module or function that executes code or touches the system (os.system, builtins.eval...).
        case dangerous
    }

    /// Torch's legacy typed storage classes (every dtype, quantized ones included).
    static let storageClasses: Set<String> = [
        "DoubleStorage", "FloatStorage", "HalfStorage", "BFloat16Storage", "LongStorage", "IntStorage",
        "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage", "ComplexDoubleStorage", "ComplexFloatStorage",
        "QInt8Storage", "QInt32Storage", "QUInt8Storage", "QUInt4x2Storage", "QUInt2x4Storage", "UntypedStorage",
    ]

    /// Globals a plain state dict pickle uses.
    static let tensorGlobals: Set<String> = [
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state", "torch._tensor._rebuild_from_type_v2",
        "torch.Tensor", "torch._tensor.Tensor", "torch.nn.parameter.Parameter",
    ]

    /// The documented allowlist of globals that training checkpoints (timm, the official ConvNeXt repository) and
    /// object-dtype `.npy` files name besides tensor rebuilding, and that only build plain data in Python:
    /// `argparse.Namespace` (training arguments), numpy scalars (`scalar` + `dtype`, their bytes via
    /// `_codecs.encode`), numpy arrays (`_reconstruct`, `ndarray`), `torch.Size`, `torch.device`.
    public static let benignGlobals: Set<String> = [
        "argparse.Namespace", "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar", "numpy.dtype",
        "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct", "numpy.ndarray",
        "_codecs.encode", "torch.Size", "torch.device",
    ]

    /// Calls a reader may record (they only build plain data in Python too).
    static let dataCallables: Set<String> = [
        "collections.defaultdict", "collections.Counter", "copyreg._reconstructor", "copy_reg._reconstructor",
        "builtins.set", "builtins.frozenset", "builtins.slice", "builtins.complex", "builtins.bytearray",
        "builtins.list", "builtins.dict", "builtins.tuple", "builtins.object", "__builtin__.set",
        "__builtin__.frozenset", "__builtin__.object", "_codecs.encode", "argparse.Namespace",
        "numpy.core.multiarray.scalar", "numpy.core.multiarray._reconstruct", "numpy._core.multiarray.scalar",
        "numpy._core.multiarray._reconstruct", "numpy.dtype", "torch.Size", "torch.device",
        "torch.serialization._get_layout",
    ]

    /// Modules whose globals can run code, spawn processes or touch files when a pickle is loaded in Python.
    static let dangerousModules: Set<String> = [
        "os", "posix", "nt", "sys", "subprocess", "_posixsubprocess", "builtins", "__builtin__", "runpy",
        "importlib", "imp", "pickle", "_pickle", "shutil", "socket", "ctypes", "pty", "code", "codeop", "marshal",
        "types", "operator", "functools", "io", "_io", "tempfile", "multiprocessing", "asyncio", "webbrowser", "pdb",
        "bdb", "timeit", "platform", "signal", "commands", "popen2", "pip", "setuptools", "distutils", "threading",
        "_thread", "gc", "inspect", "dill", "urllib", "http", "ftplib", "smtplib", "telnetlib", "zipimport", "glob",
        "pathlib", "posixpath", "ntpath", "shlex", "sqlite3", "xmlrpc", "requests", "torch.hub", "torch._C",
        "torch.ops", "torch.jit", "numpy.testing", "numpy.f2py", "numpy.distutils", "pydoc", "trace", "cProfile",
        "profile", "site", "sysconfig", "ensurepip", "venv", "unittest", "doctest", "atexit", "select", "mmap",
        "fcntl", "resource", "pwd", "grp", "spwd", "crypt",
    ]

    /// `builtins` names that are plain data types (everything else in `builtins` is judged dangerous).
    static let harmlessBuiltins: Set<String> = [
        "set", "frozenset", "slice", "complex", "bytearray", "list", "dict", "tuple", "object", "bytes", "str",
        "int", "float", "bool", "range", "NoneType", "Ellipsis",
    ]

    /// The verdict for `module.name`.
    public static func verdict(module: String, name: String) -> Verdict {
        let q = "\(module).\(name)"
        if tensorGlobals.contains(q) || (module == "torch" && storageClasses.contains(name))
            || (module == "torch.storage" && (name == "TypedStorage" || name == "UntypedStorage"))
            || (module == "torch" && StateDictDecoder.dtype(torchName: name) != nil) {
            return .tensor
        }
        if benignGlobals.contains(q) { return .benign }
        if (module == "builtins" || module == "__builtin__") && harmlessBuiltins.contains(name) { return .unsafe }
        let root = module.split(separator: ".").first.map(String.init) ?? module
        if dangerousModules.contains(module) || dangerousModules.contains(root)
            || dangerousModules.contains(module.split(separator: ".").prefix(2).joined(separator: ".")) {
            return .dangerous
        }
        if ["eval", "exec", "system", "popen", "spawn", "execv", "execve", "__import__", "getattr", "setattr",
            "compile", "open", "loads", "load"].contains(name) {
            return .dangerous
        }
        return .unsafe
    }

    /// Throws `.unsafe` if loading this pickle in Python could run code: a dangerous global anywhere, a call
    /// (REDUCE, INST, OBJ, NEWOBJ_EX) of anything but tensor rebuilding or plain-data constructors, or a BUILD that
    /// injects a dunder attribute. Unknown classes created with NEWOBJ (argparse.Namespace, user configs) pass: the
    /// decoder keeps them as opaque extras.
    public static func refuseCodeExecution(_ machine: PickleMachine, file: String?) throws {
        for g in machine.globals where verdict(module: g.module, name: g.name) == .dangerous {
            throw CNZooError(.unsafe,
                             "pickle references \(g.qualifiedName) (\(g.opcode.name)), which would run code if loaded with Python; refused without executing anything (see `cnzoo scan`)",
                             file: file, offset: g.offset)
        }
        let arena = machine.arena
        var clean = Set<Int>()  // dicts already checked: one dict may be the state of many BUILDs (memo)
        for states in arena.dictStates.values {
            for s in states {
                if let key = dunderKey(set: s, arena: arena, clean: &clean) {
                    throw CNZooError(.unsafe, "pickle BUILD sets '\(key)' on a dict; refused (see `cnzoo scan`)", file: file)
                }
            }
        }
        for o in arena.objects {
            guard case let .global(m, n) = o.callable else {
                throw CNZooError(.unsafe, "pickle calls a computed value (\(o.kind.rawValue)); refused (see `cnzoo scan`)",
                                 file: file, offset: o.offset)
            }
            let q = "\(m).\(n)"
            if o.kind != .newObj, verdict(module: m, name: n) != .tensor, !dataCallables.contains(q) {
                throw CNZooError(.unsafe,
                                 "pickle calls \(q) (\(o.kind.rawValue)), which is not tensor rebuilding; refused without executing it (see `cnzoo scan`)",
                                 file: file, offset: o.offset)
            }
            for s in o.states {
                if let key = dunderKey(set: s, arena: arena, clean: &clean) {
                    throw CNZooError(.unsafe, "pickle BUILD sets '\(key)' on \(Article.a(q)) object; refused (see `cnzoo scan`)",
                                     file: file, offset: o.offset)
                }
            }
        }
    }

    /// The first dunder attribute a BUILD state would set: a state dict's keys, or, for the `(state, slotstate)`
    /// tuple form (Python setattr's every slot-state item), the keys of both dicts.
    /// `clean` holds the arena indices of dicts already found free of dunders, so each dict is scanned once.
    static func dunderKey(set state: PickleValue, arena: PickleArena, clean: inout Set<Int>) -> String? {
        var dicts = [state]
        if let items = arena.tupleItems(state), items.count == 2 { dicts = items }
        for d in dicts {
            guard case let .dict(i) = d, !clean.contains(i) else { continue }
            for (k, _) in arena.dicts[i] {
                if case let .string(key) = k, key.hasPrefix("__") { return key }
            }
            clean.insert(i)
        }
        return nil
    }
}
