/// The bytes of a workflow file with a line table, so byte offsets and libyaml marks can be
/// turned into each other.
///
/// Columns count Unicode scalars, as libyaml's marks do, and line breaks are libyaml's:
/// LF, CR LF, CR, NEL, LS and PS. This is the one line table: whatever shows a line of a
/// workflow (the CLI's caret under a diagnostic) asks it, so the line shown is the line
/// the mark means.
public struct SourceText: Sendable {
    let bytes: [UInt8]
    /// Byte offset at which each 0-based line starts.
    let lineStarts: [Int]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        var starts = [bytes.starts(with: bom) ? 3 : 0]
        var i = starts[0]
        while i < bytes.count {
            let width = Self.lineBreakWidth(bytes, at: i)
            if width > 0 {
                i += width
                starts.append(i)
            } else {
                i += 1
            }
        }
        self.lineStarts = starts
    }

    /// The length of the line break at `i`, or 0 when there is none.
    private static func lineBreakWidth(_ b: [UInt8], at i: Int) -> Int {
        switch b[i] {
        case 0x0A: return 1
        case 0x0D: return i + 1 < b.count && b[i + 1] == 0x0A ? 2 : 1
        case 0xC2 where i + 1 < b.count && b[i + 1] == 0x85: return 2
        case 0xE2 where i + 2 < b.count && b[i + 1] == 0x80 && (b[i + 2] == 0xA8 || b[i + 2] == 0xA9): return 3
        default: return 0
        }
    }

    /// The 1-based line without its line break, or nil past the end.
    public func line(_ number: Int) -> String? {
        guard number >= 1, number <= lineStarts.count else { return nil }
        let start = lineStarts[number - 1]
        let limit = number < lineStarts.count ? lineStarts[number] : bytes.count
        var end = start
        while end < limit && Self.lineBreakWidth(bytes, at: end) == 0 { end += 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    private static func isContinuationByte(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }

    /// The 1-based mark of a byte offset.
    func mark(ofByte offset: Int) -> YAMLMark {
        let line = lineIndex(ofByte: offset)
        return YAMLMark(line: line + 1, column: 1 + scalarCount(from: lineStarts[line], to: offset))
    }

    /// The 0-based line that holds a byte offset.
    private func lineIndex(ofByte offset: Int) -> Int {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return low
    }

    /// Unicode scalars that start in `start..<end`.
    private func scalarCount(from start: Int, to end: Int) -> Int {
        var count = 0
        var i = start
        while i < end && i < bytes.count {
            if !Self.isContinuationByte(bytes[i]) { count += 1 }
            i += 1
        }
        return count
    }

    /// The byte offset of a 1-based mark, clamped to the file.
    func byteOffset(of mark: YAMLMark) -> Int {
        let lineIndex = min(max(mark.line - 1, 0), lineStarts.count - 1)
        var i = lineStarts[lineIndex]
        var remaining = mark.column - 1
        while remaining > 0 && i < bytes.count {
            i += 1
            while i < bytes.count && Self.isContinuationByte(bytes[i]) { i += 1 }
            remaining -= 1
        }
        return min(i, bytes.count)
    }

    /// Where each non-overlapping occurrence of `{{` stands between two marks.
    ///
    /// A column is counted on from the previous `{{` of the same line, not from the line's
    /// start: a one-line prompt with 100,000 references costs one walk over the line, not
    /// 100,000 (`ScaleRegressionTests`).
    func openBraceMarks(from start: YAMLMark, to end: YAMLMark) -> [YAMLMark] {
        let lower = byteOffset(of: start)
        let upper = byteOffset(of: end)
        var marks: [YAMLMark] = []
        var previous: (offset: Int, mark: YAMLMark)?
        var i = lower
        while i + 1 < upper {
            guard bytes[i] == UInt8(ascii: "{") && bytes[i + 1] == UInt8(ascii: "{") else {
                i += 1
                continue
            }
            let mark: YAMLMark
            if let previous, lineIndex(ofByte: i) == previous.mark.line - 1 {
                mark = YAMLMark(
                    line: previous.mark.line, column: previous.mark.column + scalarCount(from: previous.offset, to: i))
            } else {
                mark = self.mark(ofByte: i)
            }
            marks.append(mark)
            previous = (i, mark)
            i += 2
        }
        return marks
    }

    /// The first byte that is not valid UTF-8 or is NUL, with what is wrong with it.
    func firstEncodingProblem() -> (offset: Int, problem: String)? {
        // The standard library's validation is fast; walk scalar by scalar only to locate a problem.
        if !bytes.contains(0) && String(validating: bytes, as: UTF8.self) != nil { return nil }
        // libyaml would read these, but nothing else in pflow (templates, run records) would.
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF])
            || bytes.starts(with: [0, 0, 0xFE, 0xFF])
        {
            return (0, "the file is UTF-16 or UTF-32 text; save it as UTF-8")
        }
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                if encoded.count == 1 && encoded.first == 0 {
                    return (offset, "the file contains a NUL byte; workflow files must be UTF-8 text")
                }
                offset += encoded.count
            case .error:
                return (offset, "the file is not valid UTF-8")
            case .emptyInput:
                return nil
            }
        }
    }
}
