import Foundation

/// Lone UTF-16 surrogate escapes in JSON text.
///
/// A model that emits half a surrogate pair (seen when a server cuts an emoji at a token
/// boundary) produces `"\ud800"`, which is valid JSON syntax but no Unicode scalar.
/// Foundation's decoder rejects the whole document; Python's and JavaScript's parsers
/// accept it. pflow writes U+FFFD in its place, keeping the rest of the answer.
enum JSONSurrogates {
    /// The document with every unpaired `\uD800`–`\uDFFF` escape replaced by `\uFFFD`, or
    /// nil when it has none (so the caller's first error stands).
    static func replacingLoneSurrogates(in data: Data) -> Data? {
        let bytes = [UInt8](data)
        var output = [UInt8]()
        var changed = false
        var index = 0
        var inString = false
        while index < bytes.count {
            let byte = bytes[index]
            if !inString {
                if byte == UInt8(ascii: "\"") { inString = true }
                output.append(byte)
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\"") {
                inString = false
            } else if byte == UInt8(ascii: "\\"), index + 1 < bytes.count {
                if let unit = escapedUnit(bytes, at: index) {
                    if (0xD800...0xDBFF).contains(unit), let next = escapedUnit(bytes, at: index + 6),
                        (0xDC00...0xDFFF).contains(next)
                    {
                        output.append(contentsOf: bytes[index..<index + 12])
                        index += 12
                        continue
                    }
                    if (0xD800...0xDFFF).contains(unit) {
                        output.append(contentsOf: Array("\\ufffd".utf8))
                        changed = true
                        index += 6
                        continue
                    }
                }
                // Any other escape: copy the backslash and the escaped byte together, so an
                // escaped quote never ends the string.
                output.append(byte)
                output.append(bytes[index + 1])
                index += 2
                continue
            }
            output.append(byte)
            index += 1
        }
        return changed ? Data(output) : nil
    }

    /// The code unit of a `\uXXXX` escape starting at `index`, if there is one.
    private static func escapedUnit(_ bytes: [UInt8], at index: Int) -> UInt16? {
        guard index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
        else { return nil }
        var value: UInt16 = 0
        for byte in bytes[(index + 2)..<(index + 6)] {
            guard let digit = hexValue(byte) else { return nil }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
