import Foundation

/// A `Content-Encoding` the server applies whatever the request accepted, as a
/// misconfigured proxy does, so a client must decode what it did not ask for.
///
/// Why stored (uncompressed) deflate blocks: NIOHTTPCompression compresses only what the
/// request's Accept-Encoding asks for, and zlib is not a module this package declares. A
/// stored block is valid deflate that every decoder must read; the body is not smaller,
/// but a client that skips decoding sees binary bytes, not JSON, which is the point.
enum MockContentEncoding: String, Sendable {
    case gzip
    case deflate

    func encode(_ body: Data) -> Data {
        var out = Data()
        out.reserveCapacity(body.count + body.count / 65_535 * 5 + 24)
        switch self {
        case .gzip:
            // Magic, method 8 (deflate), no flags, no time, no extra flags, OS unknown.
            out.append(contentsOf: [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff])
            Self.appendStoredBlocks(body, to: &out)
            Self.appendLittleEndian(Self.crc32(body), to: &out)
            Self.appendLittleEndian(UInt32(truncatingIfNeeded: body.count), to: &out)
        case .deflate:
            // HTTP's "deflate" is the zlib format (RFC 9110 §8.4.1.2): 32 KiB window, no
            // dictionary, a check value that makes the two bytes a multiple of 31.
            out.append(contentsOf: [0x78, 0x01])
            Self.appendStoredBlocks(body, to: &out)
            let adler = Self.adler32(body)
            out.append(contentsOf: [
                UInt8(adler >> 24), UInt8(adler >> 16 & 0xff), UInt8(adler >> 8 & 0xff), UInt8(adler & 0xff),
            ])
        }
        return out
    }

    /// RFC 1951 §3.2.4: a header byte (BFINAL, BTYPE 00), LEN and its complement, the bytes.
    private static func appendStoredBlocks(_ body: Data, to out: inout Data) {
        var start = body.startIndex
        repeat {
            let end = min(start + 65_535, body.endIndex)
            let length = UInt16(end - start)
            out.append(end == body.endIndex ? 1 : 0)
            out.append(contentsOf: [
                UInt8(length & 0xff), UInt8(length >> 8), UInt8(~length & 0xff), UInt8(~length >> 8),
            ])
            out.append(body[start..<end])
            start = end
        } while start < body.endIndex
    }

    private static func appendLittleEndian(_ value: UInt32, to out: inout Data) {
        out.append(contentsOf: [
            UInt8(value & 0xff), UInt8(value >> 8 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 24),
        ])
    }

    private static let crcTable: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        return crc
    }

    static func crc32(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        for byte in data { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8) }
        return ~crc
    }

    static func adler32(_ data: Data) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return b << 16 | a
    }
}
