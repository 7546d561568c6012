import Foundation
import Testing
@testable import RoadworkDomain

@Suite("Fixed decimals")
struct FixedDecimalTests {
    @Test("fixed(_:) writes what printf's %.Nf writes: random values, exact and near ties, signs, zero, huge and non-finite")
    func matchesPrintf() {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = [0, -0.0, 0.05, 0.15, 0.25, 0.35, 2.25, 2.5, 3.5, -2.5, 1.005, 1.0005, 123.45, 0.125, 0.375,
                                1e15, 4.6e15, 1e300, -1e300, .nan, .infinity, -.infinity, .ulpOfOne, .leastNonzeroMagnitude]
        for _ in 0..<20_000 {
            values.append(Double.random(in: -1_000...1_000, using: &generator))
            values.append(Double.random(in: 0...1, using: &generator))
            // Halves at every place: the cases where rounding the product to a double can flip the digit.
            let places = Int.random(in: 0...6, using: &generator)
            let tie = (Double(Int.random(in: -100_000...100_000, using: &generator)) + 0.5) / pow(10, Double(places))
            values.append(contentsOf: [tie, tie.nextUp, tie.nextDown])
        }
        var mismatches: [String] = []
        for value in values {
            for places in 0...6 where value.fixed(places) != String(format: "%.\(places)f", value) {
                mismatches.append("\(value) at \(places): \(value.fixed(places)) vs \(String(format: "%.\(places)f", value))")
            }
        }
        #expect(mismatches.isEmpty, "first: \(mismatches.prefix(5))")
    }
}
