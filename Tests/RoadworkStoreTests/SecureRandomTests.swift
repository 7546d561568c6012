import Testing
@testable import RoadworkStore

@Suite("Secure random bytes")
struct SecureRandomTests {
    @Test func asManyBytesAsAskedForEachPositionVaryingAndNoDrawRepeated() {
        for count in [0, 1, 7, 8, 9, 24, 32] {
            #expect(SecureRandom.bytes(count).count == count)
        }
        let draws = (0..<2_000).map { _ in SecureRandom.bytes(24) }
        #expect(Set(draws).count == draws.count)
        // Every position takes many values: a position filled from the same generator word twice, or left constant, would not.
        for position in 0..<24 {
            #expect(Set(draws.map { $0[position] }).count > 200, "byte \(position)")
        }
        #expect(Set(draws.map { $0[0] ^ $0[8] }).count > 200)
    }
}
