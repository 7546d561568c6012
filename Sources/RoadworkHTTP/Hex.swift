/// Bytes as lower-case hex, two digits each: webhook signatures, ETags, asset names.
extension Sequence<UInt8> {
    var lowercaseHex: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in self { text.append(digits[Int(byte >> 4)]); text.append(digits[Int(byte & 0xF)]) }
        return String(decoding: text, as: UTF8.self)
    }
}
