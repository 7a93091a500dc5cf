/// Protocol Buffers wire format, the few field types OTLP's traces use: varints,
/// fixed64, doubles and length-delimited bytes, strings and nested messages.
///
/// Hand-written for build time: swift-otel (about 7 minutes cold here) or swift-protobuf
/// with generated OTLP types (protoc-gen-swift, 9.5 minutes to build once) cost more than
/// these few field types (docs/cli.md, `pflow export`); the encoding is the stable,
/// documented wire format, and the end-to-end test has a real OTLP receiver (Arize
/// Phoenix) decode it.
struct ProtobufWriter {
    private(set) var encoded: [UInt8] = []

    private enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
    }

    private mutating func tag(_ field: UInt64, _ type: WireType) {
        varint(field << 3 | type.rawValue)
    }

    private mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            encoded.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        encoded.append(UInt8(rest))
    }

    mutating func uint(_ field: UInt64, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, .varint)
        varint(value)
    }

    /// int64, written even when zero: OTLP uses it inside a `oneof`, where an absent field
    /// means no value at all. Negative values take ten bytes (two's complement).
    mutating func int(_ field: UInt64, _ value: Int64) {
        tag(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    mutating func bool(_ field: UInt64, _ value: Bool) {
        tag(field, .varint)
        varint(value ? 1 : 0)
    }

    mutating func fixed64(_ field: UInt64, _ value: UInt64) {
        tag(field, .fixed64)
        for shift in stride(from: 0, to: 64, by: 8) {
            encoded.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    mutating func double(_ field: UInt64, _ value: Double) {
        fixed64(field, value.bitPattern)
    }

    mutating func bytes(_ field: UInt64, _ value: [UInt8]) {
        tag(field, .lengthDelimited)
        varint(UInt64(value.count))
        encoded.append(contentsOf: value)
    }

    mutating func string(_ field: UInt64, _ value: String) {
        bytes(field, Array(value.utf8))
    }

    mutating func message(_ field: UInt64, _ build: (inout ProtobufWriter) -> Void) {
        var nested = ProtobufWriter()
        build(&nested)
        bytes(field, nested.encoded)
    }
}
