import Foundation
import RoadworkDomain
import Testing

@Suite("Time-ordered ids (UUID version 7)")
struct TimeOrderedIDTests {
    @Test func theIdStartsWithItsMillisecondAndCarriesVersionSevenAndTheVariant() {
        let moment = Date(timeIntervalSince1970: 1_796_000_000.123)
        let id = UUID.timeOrdered(at: moment)
        let hex = id.uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        #expect(UInt64(hex.prefix(12), radix: 16) == 1_796_000_000_123)
        #expect(hex[hex.index(hex.startIndex, offsetBy: 12)] == "7")
        #expect("89ab".contains(hex[hex.index(hex.startIndex, offsetBy: 16)]))
    }

    @Test func idsOfLaterMillisecondsSortAfterAndIdsOfOneMillisecondDiffer() {
        let start = Date(timeIntervalSince1970: 1_796_000_000)
        let ids = (0..<200).map { UUID.timeOrdered(at: start.addingTimeInterval(Double($0) * 0.005)) }
        let texts = ids.map { $0.uuidString.lowercased() }
        #expect(texts == texts.sorted())
        let same = (0..<1000).map { _ in UUID.timeOrdered(at: start) }
        #expect(Set(same).count == 1000)
    }
}
