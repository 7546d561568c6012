import Foundation
import Testing
@testable import RoadworkDomain

@Suite("Ids as text")
struct IDTextTests {
    @Test("An id's text and its JSON are Foundation's uuidString in lower case, for random ids and every nibble's extremes")
    func idsAreWrittenAsFoundationWritesThemInLowerCase() {
        var ids = (0..<2000).map { _ in UUID() }
        ids += [UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
                UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255)),
                UUID(uuid: (0x09, 0x0a, 0x9f, 0xa0, 0x19, 0x1a, 0x8b, 0xb8, 0xc7, 0x7c, 0xd6, 0x6d, 0xe5, 0x5e, 0xf4, 0x4f))]
        var wrong: [String] = []
        for id in ids {
            var json = JSONOutput()
            json.uuid(id)
            let expected = id.uuidString.lowercased()
            if id.lowercasedText != expected || String(decoding: json.bytes, as: UTF8.self) != "\"\(expected)\"" { wrong.append(expected) }
        }
        let count = wrong.count
        #expect(count == 0, "first: \(wrong.prefix(3))")
    }
}
