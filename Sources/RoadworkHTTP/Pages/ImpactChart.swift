import Foundation
import RoadworkDomain

/// "Did the wall stop?" drawn on the server: one bar per week of a publication's window (distinct accounts reporting the
/// wall), the weeks before in grey and after in blue, a line where the bite shipped and the two rates. It scales to the
/// width it is given (a phone at 390 px, a projector) and names its figures for screen readers; the page also lists them.
enum ImpactChart {
    static func svg(_ publication: WallImpact.Publication) -> String {
        let width = 480.0, height = 250.0, left = 34.0, right = 8.0, top = 38.0, bottom = 36.0
        let slots = Double(2 * WallImpact.window)
        let slot = (width - left - right) / slots
        let top1 = max(1, publication.weeks.map(\.accounts).max() ?? 1, Int(publication.afterRate?.rounded(.up) ?? 0), Int(publication.beforeRate.rounded(.up)))
        let plot = height - top - bottom
        func y(_ value: Double) -> Double { top + plot - value / Double(top1) * plot }
        func x(_ week: Int) -> Double { left + Double(week + WallImpact.window) * slot }
        func number(_ value: Double) -> String { value.fixed(1) }
        var parts: [String] = []
        parts.append("<line x1=\"\(number(left))\" y1=\"\(number(y(0)))\" x2=\"\(number(width - right))\" y2=\"\(number(y(0)))\" stroke=\"#57606a\"/>")
        parts.append("<text x=\"\(number(left - 6))\" y=\"\(number(y(Double(top1)) + 5))\" text-anchor=\"end\" font-size=\"19\" fill=\"#57606a\">\(top1)</text>")
        parts.append("<text x=\"\(number(left - 6))\" y=\"\(number(y(0)))\" text-anchor=\"end\" font-size=\"19\" fill=\"#57606a\">0</text>")
        for week in publication.weeks {
            let barHeight = y(0) - y(Double(week.accounts))
            let fill = week.week < 0 ? "#8c959f" : week.complete ? "#0b5cad" : "#9cc3ea"
            parts.append("<rect x=\"\(number(x(week.week) + 3))\" y=\"\(number(y(Double(week.accounts))))\" width=\"\(number(slot - 6))\" height=\"\(number(barHeight))\" fill=\"\(fill)\"/>")
        }
        let shipped = x(0)
        parts.append("<line x1=\"\(number(shipped))\" y1=\"\(number(top - 8))\" x2=\"\(number(shipped))\" y2=\"\(number(y(0)))\" stroke=\"#1f2328\" stroke-dasharray=\"4 3\"/>")
        parts.append("<text x=\"\(number(shipped + 4))\" y=\"\(number(top - 12))\" font-size=\"19\" fill=\"#1f2328\">shipped \(publication.publishedOn)</text>")
        parts.append(rateLine(from: x(-WallImpact.window), to: shipped, at: y(publication.beforeRate), color: "#57606a"))
        if let after = publication.afterRate { parts.append(rateLine(from: shipped, to: x(WallImpact.window), at: y(after), color: "#0b5cad")) }
        parts.append("<text x=\"\(number(left))\" y=\"\(number(height - 8))\" font-size=\"19\" fill=\"#57606a\">\(WallImpact.window) weeks before</text>")
        parts.append("<text x=\"\(number(width - right))\" y=\"\(number(height - 8))\" text-anchor=\"end\" font-size=\"19\" fill=\"#57606a\">weeks after</text>")
        let label = "Accounts reporting this wall per week: \(describe(publication))"
        return """
        <svg class="impact" viewBox="0 0 \(Int(width)) \(Int(height))" width="100%" role="img" aria-label="\(escape(label))" preserveAspectRatio="xMidYMid meet">\(parts.joined())</svg>
        """
    }

    /// The figures in words: what the chart says to someone who cannot see it.
    static func describe(_ publication: WallImpact.Publication) -> String {
        let before = publication.beforeRate.fixed(1)
        let after = publication.afterRate.map { $0.fixed(1) } ?? "not yet measured"
        return "\(before) a week in the \(WallImpact.window) weeks before \(publication.publishedOn), \(after) a week in the \(publication.weeksAfter) complete weeks after; \(publication.verdict.label)."
    }

    private static func rateLine(from: Double, to: Double, at y: Double, color: String) -> String {
        let (x1, x2, y1) = (from.fixed(1), to.fixed(1), y.fixed(1))
        return "<line x1=\"\(x1)\" y1=\"\(y1)\" x2=\"\(x2)\" y2=\"\(y1)\" stroke=\"\(color)\" stroke-width=\"2\" stroke-dasharray=\"2 3\"/>"
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "<", with: "&lt;")
    }
}
