import CNZooCore

/// A global named by a pickle (GLOBAL, STACK_GLOBAL or INST), where it was named.
public struct PickleGlobalReference: Sendable, Equatable {
    public let module: String
    public let name: String
    /// Byte offset (in the file) of the opcode.
    public let offset: Int
    public let opcode: PickleOpcode
    public var qualifiedName: String { "\(module).\(name)" }
}

/// A data-only pickle interpreter. It builds values on a stack with a faithful memo, but never imports, resolves or
/// calls anything: a global becomes `.global(module, name)` and a call becomes a recorded `PickleObject`.
/// `collections.OrderedDict()` with no arguments is the one call it interprets (as an empty dict), because that is
/// how every state dict is spelled.
///
/// Resource use is bounded by `Limits` (stack/memo/container items, mark nesting, string sizes); every read is
/// bounds-checked, so truncated or hostile input ends in a `CNZooError`.
public final class PickleMachine {
    private let bytes: UnsafeRawBufferPointer
    private let baseOffset: Int
    private let file: String?
    private var pos: Int

    /// Every container and object built so far.
    public private(set) var arena = PickleArena()
    /// Globals named so far, in order.
    public private(set) var globals: [PickleGlobalReference] = []
    /// How often each opcode was executed.
    public private(set) var opcodeCounts: [PickleOpcode: Int] = [:]
    /// The protocol announced by PROTO, if any.
    public private(set) var protocolVersion: Int?

    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    /// Prepares to run the pickle starting at `start` in `bytes`; offsets in errors are `baseOffset + position`.
    public init(_ bytes: UnsafeRawBufferPointer, start: Int = 0, baseOffset: Int = 0, file: String? = nil) {
        self.bytes = bytes
        self.baseOffset = baseOffset
        self.file = file
        self.pos = start
    }

    /// The position just after the STOP opcode once `run()` returned.
    public var position: Int { pos }

    private func fail(_ code: CNZooError.Code, _ message: String, at: Int? = nil) -> CNZooError {
        CNZooError(code, "pickle: " + message, file: file, offset: baseOffset + (at ?? pos))
    }

    private func fail(_ message: String, at: Int? = nil) -> CNZooError { fail(.malformed, message, at: at) }

    // MARK: reading

    private func byte() throws -> UInt8 {
        guard pos < bytes.count else { throw fail(.truncated, "input ends inside an opcode") }
        defer { pos += 1 }
        return bytes[pos]
    }

    private func take(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, bytes.count - pos >= n else { throw fail(.truncated, "input ends inside an opcode (needs \(n) bytes)") }
        defer { pos += n }
        return UnsafeRawBufferPointer(rebasing: bytes[pos..<(pos + n)])
    }

    private func le(_ n: Int) throws -> UInt64 {
        let b = try take(n)
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(b[i]) << (8 * UInt64(i)) }
        return v
    }

    private func line() throws -> String {
        var c = ByteCursor(UnsafeRawBufferPointer(rebasing: bytes[pos...]))
        guard let l = c.readUntil(0x0A, maxLength: Limits.maxPickleStringBytes) else {
            throw fail(.truncated, "unterminated text line")
        }
        pos += c.position
        return String(decoding: l, as: UTF8.self)
    }

    private func length(_ n: UInt64) throws -> Int {
        guard n <= UInt64(Limits.maxPickleStringBytes) else {
            throw Limits.exceeded("maxPickleStringBytes", Limits.maxPickleStringBytes, "pickle string of \(n) bytes",
                                  file: file, offset: baseOffset + pos)
        }
        return Int(n)
    }

    private func utf8(_ n: Int) throws -> String {
        let at = pos
        let b = try take(n)
        guard let s = String(validating: b, as: UTF8.self) else { throw fail("string is not valid UTF-8", at: at) }
        return s
    }

    // MARK: stack

    private func push(_ v: PickleValue) throws {
        guard stack.count < Limits.maxPickleItems else {
            throw Limits.exceeded("maxPickleItems", Limits.maxPickleItems, "pickle stack", file: file, offset: baseOffset + pos)
        }
        stack.append(v)
    }

    private func pop() throws -> PickleValue {
        guard let v = stack.popLast(), stack.count >= (marks.last ?? 0) else {
            throw fail("stack underflow")
        }
        return v
    }

    private func top() throws -> PickleValue {
        guard let v = stack.last, stack.count > (marks.last ?? 0) else { throw fail("stack underflow") }
        return v
    }

    private func popMark() throws -> [PickleValue] {
        guard let m = marks.popLast(), m <= stack.count else { throw fail("no MARK to pop to") }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }

    private func checkItems(_ n: Int) throws {
        guard n <= Limits.maxPickleItems else {
            throw Limits.exceeded("maxPickleItems", Limits.maxPickleItems, "pickle container of \(n) items", file: file,
                                  offset: baseOffset + pos)
        }
    }

    private func newTuple(_ items: [PickleValue]) -> PickleValue {
        arena.tuples.append(items)
        return .tuple(arena.tuples.count - 1)
    }

    private func newObject(_ kind: PickleObject.Kind, _ callable: PickleValue, _ args: PickleValue, at: Int) -> PickleValue {
        if kind == .reduce, callable == .global(module: "collections", name: "OrderedDict"),
           arena.tupleItems(args)?.isEmpty == true {
            arena.dicts.append([])
            return .dict(arena.dicts.count - 1)
        }
        arena.objects.append(PickleObject(kind: kind, callable: callable, args: args, offset: baseOffset + at))
        return .object(arena.objects.count - 1)
    }

    private func recordGlobal(_ module: String, _ name: String, _ op: PickleOpcode, at: Int) -> PickleValue {
        globals.append(PickleGlobalReference(module: module, name: name, offset: baseOffset + at, opcode: op))
        return .global(module: module, name: name)
    }

    private func setItems(_ pairs: [(PickleValue, PickleValue)], at: Int) throws {
        switch try top() {
        case let .dict(i):
            arena.dicts[i].append(contentsOf: pairs)
            try checkItems(arena.dicts[i].count)
        case let .object(i):
            arena.objects[i].dictItems.append(contentsOf: pairs)
            try checkItems(arena.objects[i].dictItems.count)
        case let other:
            throw fail("SETITEM(S) on a \(other.kind)", at: at)
        }
    }

    private func appendItems(_ items: [PickleValue], at: Int) throws {
        switch try top() {
        case let .list(i):
            arena.lists[i].append(contentsOf: items)
            try checkItems(arena.lists[i].count)
        case let .object(i):
            arena.objects[i].listItems.append(contentsOf: items)
            try checkItems(arena.objects[i].listItems.count)
        case let other:
            throw fail("APPEND(S)/ADDITEMS on a \(other.kind)", at: at)
        }
    }

    private func memoPut(_ key: Int) throws {
        let v = try top()
        if memo[key] == nil { guard memo.count < Limits.maxPickleItems else {
            throw Limits.exceeded("maxPickleItems", Limits.maxPickleItems, "pickle memo", file: file, offset: baseOffset + pos)
        } }
        memo[key] = v
    }

    private func memoGet(_ key: Int, at: Int) throws {
        guard let v = memo[key] else { throw fail("memo key \(key) was never stored", at: at) }
        try push(v)
    }

    private static func signedLE(_ b: UnsafeRawBufferPointer) -> PickleValue {
        if b.isEmpty { return .int(0) }
        if b.count <= 8 {
            var v: UInt64 = 0
            for i in 0..<b.count { v |= UInt64(b[i]) << (8 * UInt64(i)) }
            if b.count < 8, b[b.count - 1] & 0x80 != 0 { v |= ~0 << (8 * UInt64(b.count)) }
            return .int(Int64(bitPattern: v))
        }
        return .bigInt(Array(b))
    }

    // MARK: running

    /// Runs to STOP and returns the value left on the stack.
    public func run() throws -> PickleValue {
        while true {
            let at = pos
            let raw = try byte()
            guard let op = PickleOpcode(rawValue: raw) else {
                throw fail("unknown opcode 0x\(String(raw, radix: 16))", at: at)
            }
            opcodeCounts[op, default: 0] += 1
            switch op {
            case .proto:
                let v = Int(try byte())
                guard v <= 5 else { throw fail(.unsupported, "protocol \(v) is newer than 5", at: at) }
                protocolVersion = v
            case .frame:
                _ = try le(8)
            case .stop:
                let v = try pop()
                return v
            case .mark:
                guard marks.count < Limits.maxNestingDepth else {
                    throw Limits.exceeded("maxNestingDepth", Limits.maxNestingDepth, "pickle MARK nesting", file: file,
                                          offset: baseOffset + at)
                }
                marks.append(stack.count)
            case .pop:
                if let m = marks.last, m == stack.count { marks.removeLast() } else { _ = try pop() }
            case .popMark:
                _ = try popMark()
            case .dup:
                try push(try top())

            case .none: try push(.none)
            case .newTrue: try push(.bool(true))
            case .newFalse: try push(.bool(false))
            case .binInt: try push(.int(Int64(Int32(bitPattern: UInt32(try le(4))))))
            case .binInt1: try push(.int(Int64(try byte())))
            case .binInt2: try push(.int(Int64(try le(2))))
            case .long1:
                let n = Int(try byte())
                try push(PickleMachine.signedLE(try take(n)))
            case .long4:
                let n = Int32(bitPattern: UInt32(try le(4)))
                guard n >= 0 else { throw fail("negative LONG4 length", at: at) }
                try push(PickleMachine.signedLE(try take(try length(UInt64(n)))))
            case .int:
                let s = try line()
                if s == "00" { try push(.bool(false)) } else if s == "01" { try push(.bool(true)) } else {
                    guard let v = Int64(s) else { throw fail("INT '\(s.prefix(40))' is not a 64-bit integer", at: at) }
                    try push(.int(v))
                }
            case .long:
                var s = try line()
                if s.hasSuffix("L") { s.removeLast() }
                guard let v = Int64(s) else { throw fail(.unsupported, "LONG beyond 64 bits", at: at) }
                try push(.int(v))
            case .float:
                let s = try line()
                guard let v = Double(s) else { throw fail("FLOAT '\(s.prefix(40))' is not a number", at: at) }
                try push(.float(v))
            case .binFloat:
                // BINFLOAT is a big-endian IEEE double; le(8) read it little-endian.
                try push(.float(Double(bitPattern: try le(8).byteSwapped)))

            case .binUnicode: try push(.string(try utf8(try length(try le(4)))))
            case .shortBinUnicode: try push(.string(try utf8(Int(try byte()))))
            case .binUnicode8: try push(.string(try utf8(try length(try le(8)))))
            case .unicode:
                try push(.string(try line()))
            case .string:
                var s = try line()
                if s.count >= 2, let f = s.first, f == "'" || f == "\"", s.last == f { s = String(s.dropFirst().dropLast()) }
                try push(.string(s))
            case .binString: try push(.bytes(Array(try take(try length(try le(4))))))
            case .shortBinString: try push(.bytes(Array(try take(Int(try byte())))))
            case .binBytes: try push(.bytes(Array(try take(try length(try le(4))))))
            case .shortBinBytes: try push(.bytes(Array(try take(Int(try byte())))))
            case .binBytes8, .byteArray8: try push(.bytes(Array(try take(try length(try le(8))))))
            case .nextBuffer, .readOnlyBuffer:
                throw fail(.unsupported, "out-of-band buffers (\(op.name)) are not supported", at: at)

            case .emptyTuple: try push(newTuple([]))
            case .tuple: try push(newTuple(try popMark()))
            case .tuple1:
                let a = try pop()
                try push(newTuple([a]))
            case .tuple2:
                let b = try pop(), a = try pop()
                try push(newTuple([a, b]))
            case .tuple3:
                let c = try pop(), b = try pop(), a = try pop()
                try push(newTuple([a, b, c]))
            case .emptyList, .emptySet:
                arena.lists.append([])
                try push(.list(arena.lists.count - 1))
            case .list, .frozenSet:
                arena.lists.append(try popMark())
                try push(.list(arena.lists.count - 1))
            case .emptyDict:
                arena.dicts.append([])
                try push(.dict(arena.dicts.count - 1))
            case .dict:
                let items = try popMark()
                guard items.count % 2 == 0 else { throw fail("DICT with an odd number of items", at: at) }
                arena.dicts.append(stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) })
                try push(.dict(arena.dicts.count - 1))
            case .append:
                let v = try pop()
                try appendItems([v], at: at)
            case .appends, .addItems:
                try appendItems(try popMark(), at: at)
            case .setItem:
                let v = try pop(), k = try pop()
                try setItems([(k, v)], at: at)
            case .setItems:
                let items = try popMark()
                guard items.count % 2 == 0 else { throw fail("SETITEMS with an odd number of items", at: at) }
                try setItems(stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) }, at: at)

            case .put: guard let k = Int(try line()), k >= 0 else { throw fail("bad PUT key", at: at) }; try memoPut(k)
            case .binPut: try memoPut(Int(try byte()))
            case .longBinPut: try memoPut(Int(try le(4)))
            case .memoize: try memoPut(memo.count)
            case .get: guard let k = Int(try line()) else { throw fail("bad GET key", at: at) }; try memoGet(k, at: at)
            case .binGet: try memoGet(Int(try byte()), at: at)
            case .longBinGet: try memoGet(Int(try le(4)), at: at)

            case .global:
                let module = try line(), name = try line()
                try push(recordGlobal(module, name, .global, at: at))
            case .stackGlobal:
                let n = try pop(), m = try pop()
                guard case let .string(name) = n, case let .string(module) = m else {
                    throw fail("STACK_GLOBAL needs two strings, got \(m.kind) and \(n.kind)", at: at)
                }
                try push(recordGlobal(module, name, .stackGlobal, at: at))
            case .inst:
                let module = try line(), name = try line()
                let callable = recordGlobal(module, name, .inst, at: at)
                let args = newTuple(try popMark())
                try push(newObject(.inst, callable, args, at: at))
            case .obj:
                let items = try popMark()
                guard let cls = items.first else { throw fail("OBJ without a class", at: at) }
                try push(newObject(.obj, cls, newTuple(Array(items.dropFirst())), at: at))
            case .reduce:
                let args = try pop(), callable = try pop()
                try push(newObject(.reduce, callable, args, at: at))
            case .newObj:
                let args = try pop(), cls = try pop()
                try push(newObject(.newObj, cls, args, at: at))
            case .newObjEx:
                _ = try pop()
                let args = try pop(), cls = try pop()
                try push(newObject(.newObjEx, cls, args, at: at))
            case .build:
                let state = try pop()
                switch try top() {
                case let .dict(i): arena.dictStates[i, default: []].append(state)
                case let .object(i): arena.objects[i].states.append(state)
                case let other: throw fail("BUILD on a \(other.kind)", at: at)
                }
            case .persID:
                arena.persistentIDs.append(.string(try line()))
                try push(.persistent(arena.persistentIDs.count - 1))
            case .binPersID:
                arena.persistentIDs.append(try pop())
                try push(.persistent(arena.persistentIDs.count - 1))
            case .ext1, .ext2, .ext4:
                throw fail(.unsupported, "\(op.name) (copyreg extension registry) is not supported", at: at)
            }
        }
    }
}
