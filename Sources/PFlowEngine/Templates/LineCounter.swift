import Foundation

/// The one rule for the items of a map over `lines:` or an input: one item per line that
/// is not blank. Lines end at any Unicode line break (LF, CR, CR LF, VT, FF, NEL, LS, PS).
///
/// `items(in:)` makes the run's items; `count(file:)` counts them without holding the file
/// in memory, for `validate` and `plan`: a million-line file costs one 64 KB buffer.
public struct LineCounter {
    private(set) var count = 0
    private var lineHasContent = false
    /// The start of a UTF-8 sequence cut by the end of the previous chunk.
    private var carry: [UInt8] = []

    static let chunkSize = 1 << 16

    /// The non-blank lines of `text`, in order, without their line breaks.
    public static func items(in text: String) -> [String] {
        var items: [String] = []
        var line = String.UnicodeScalarView()
        var hasContent = false
        for scalar in text.unicodeScalars {
            if isLineBreak(scalar) {
                if hasContent { items.append(String(line)) }
                line = String.UnicodeScalarView()
                hasContent = false
            } else {
                line.append(scalar)
                if !scalar.properties.isWhitespace { hasContent = true }
            }
        }
        if hasContent { items.append(String(line)) }
        return items
    }

    /// CR LF ends a line at the CR; the LF then ends an empty one, which is no item.
    static func isLineBreak(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}": true
        default: false
        }
    }

    /// The count for a file, or why it cannot be read (checked before reading a byte). A
    /// file the run would refuse by its size is not counted either.
    public static func count(file path: String) -> Result<Int, RegularFile.Problem> {
        switch RegularFile.size(of: path) {
        case .failure(let problem): return .failure(problem)
        case .success(let size) where size > RegularFile.maxBytes:
            return .failure(.tooLarge(size: size, limit: RegularFile.maxBytes))
        case .success: break
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return .failure(.unreadable(reason: "cannot open it"))
        }
        defer { try? handle.close() }
        var counter = LineCounter()
        do {
            while let chunk = try handle.read(upToCount: chunkSize), !chunk.isEmpty {
                counter.feed(chunk)
            }
        } catch {
            return .failure(.unreadable(reason: error.localizedDescription))
        }
        return .success(counter.finish())
    }

    public static func count(text: String) -> Int {
        var counter = LineCounter()
        counter.feed(Array(text.utf8))
        return counter.finish()
    }

    mutating func feed(_ bytes: some Collection<UInt8>) {
        var chunk = carry
        chunk.append(contentsOf: bytes)
        let cut = Self.lastCompleteScalarEnd(chunk)
        carry = Array(chunk[cut...])
        for scalar in String(decoding: chunk[..<cut], as: UTF8.self).unicodeScalars {
            consume(scalar)
        }
    }

    mutating func finish() -> Int {
        if !carry.isEmpty {
            // A truncated sequence at the very end: decoding makes it U+FFFD, which is content.
            lineHasContent = true
            carry = []
        }
        if lineHasContent { count += 1 }
        lineHasContent = false
        return count
    }

    private mutating func consume(_ scalar: Unicode.Scalar) {
        if Self.isLineBreak(scalar) {
            if lineHasContent { count += 1 }
            lineHasContent = false
        } else if !scalar.properties.isWhitespace {
            lineHasContent = true
        }
    }

    /// Where the last UTF-8 sequence that is complete in `bytes` ends.
    private static func lastCompleteScalarEnd(_ bytes: [UInt8]) -> Int {
        var start = bytes.count
        // A sequence is at most 4 bytes: look back at most 3 for its lead byte.
        while start > 0 && bytes.count - start < 3 && bytes[start - 1] & 0xC0 == 0x80 { start -= 1 }
        guard start > 0 else { return bytes.count }
        let lead = bytes[start - 1]
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        return bytes.count - (start - 1) < length ? start - 1 : bytes.count
    }
}
