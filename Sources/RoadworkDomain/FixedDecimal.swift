import Foundation

extension Double {
    /// The number with `places` digits after the point, exactly as C's `printf("%.*f")` writes it (the binary value
    /// rounded half to even), without Foundation's `String(format:)`, which costs about 2 µs a call: pages print a
    /// score per backlog row and a point per sparkline week, CSV downloads a number per row.
    public func fixed(_ places: Int) -> String {
        precondition((0...6).contains(places), "fixed(_:) writes 0 to 6 places")
        let scale = Self.powersOfTen[places]
        let magnitude = self.magnitude
        let scaled = magnitude * scale
        // Past 2^52 a double has no fraction to round, and NaN and the infinities have no digits: C says those.
        guard scaled.isFinite, scaled < 4_503_599_627_370_496 else { return String(format: "%.\(places)f", self) }
        // `scaled` is the exact product rounded to a double; `error` is what that rounding dropped (exact, by FMA). Only a
        // product that landed exactly halfway between two integers can round the other way once the error is counted.
        let error = (-scaled).addingProduct(magnitude, scale)
        var units = scaled.rounded(.toNearestOrEven)
        if scaled - units == 0.5, error > 0 { units += 1 } else if units - scaled == 0.5, error < 0 { units -= 1 }
        let whole = UInt64(units)
        let divisor = UInt64(scale)
        var text = sign == .minus ? "-" : ""
        text += String(whole / divisor)
        guard places > 0 else { return text }
        let fraction = String(whole % divisor)
        text += "."
        text += String(repeating: "0", count: places - fraction.count)
        text += fraction
        return text
    }

    private static let powersOfTen: [Double] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]
}
