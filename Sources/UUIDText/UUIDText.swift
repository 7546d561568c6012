import Foundation

// Ids as PostgreSQL and RFC 9562 write them, for the client's parameters and the domain's JSON alike.

extension UUID {
    /// `uuidString.lowercased()` without the formatting call and the second string: ids are in every response.
    public var lowercasedText: String {
        String(unsafeUninitializedCapacity: 36) { buffer in
            writeLowercased(into: UnsafeMutableRawBufferPointer(buffer))
            return 36
        }
    }

    /// The 36 bytes of `lowercasedText` (lower-case hex in 8-4-4-4-12 groups) written into `out`, which has room for
    /// them: for a String or straight into a JSON body.
    public func writeLowercased(into out: UnsafeMutableRawBufferPointer) {
        withUnsafeBytes(of: uuid) { raw in
            var position = 0
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    out[position] = UInt8(ascii: "-")
                    position += 1
                }
                let high = raw[index] >> 4, low = raw[index] & 0xF
                out[position] = high < 10 ? 48 + high : 87 + high
                out[position + 1] = low < 10 ? 48 + low : 87 + low
                position += 2
            }
        }
    }
}
