import Foundation

extension UUID {
    /// A version 7 UUID (RFC 9562): the Unix time in milliseconds, then random bits. Rows written one after another get
    /// neighbouring keys, so an insert lands at the right edge of an index instead of on a random page of it (the database
    /// makes the same ids with `roadwork_uuid7()`).
    public static func timeOrdered(at date: Date = Date()) -> UUID {
        let milliseconds = UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded(.down)))
        var value = UUID().uuid
        withUnsafeMutableBytes(of: &value) { bytes in
            for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (40 - 8 * UInt64(index))) }
            bytes[6] = 0x70 | (bytes[6] & 0x0F)  // version 7
            bytes[8] = 0x80 | (bytes[8] & 0x3F)  // RFC 4122 variant
        }
        return UUID(uuid: value)
    }
}
