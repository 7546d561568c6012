import Foundation

/// What a head or marketer reads on Monday: the week's new and emerging walls, the walls that moved most, the content
/// shipped, and walls still reported after their content shipped.
public struct WeeklyDigest: Sendable {
    public struct Wall: Sendable {
        public let objectionID: UUID
        public let statement: String
        /// Depends on the list: reports so far, accounts this week, or reports since the content shipped.
        public let count: Int
        /// Accounts the week before (movers and emerging walls), or nil.
        public let before: Int?
        /// The content's title (shipped and still-reported lists), or nil.
        public let content: String?

        public init(objectionID: UUID, statement: String, count: Int, before: Int? = nil, content: String? = nil) {
            self.objectionID = objectionID
            self.statement = statement
            self.count = count
            self.before = before
            self.content = content
        }
    }

    public let organizationName: String
    public let weekOf: Day
    public let newWalls: [Wall]
    public let emerging: [Wall]
    public let movers: [Wall]
    public let shipped: [Wall]
    public let stillReported: [Wall]

    public init(organizationName: String, weekOf: Day, newWalls: [Wall], emerging: [Wall], movers: [Wall], shipped: [Wall],
                stillReported: [Wall]) {
        self.organizationName = organizationName
        self.weekOf = weekOf
        self.newWalls = newWalls
        self.emerging = emerging
        self.movers = movers
        self.shipped = shipped
        self.stillReported = stillReported
    }

    public var isQuiet: Bool { newWalls.isEmpty && emerging.isEmpty && movers.isEmpty && shipped.isEmpty && stillReported.isEmpty }

    /// The digest as Markdown (the HTML part is rendered from it); `link` turns an objection into its page's address.
    public func markdown(link: (UUID) -> String) -> String {
        var lines = ["# \(organizationName): the week to \(weekOf)", ""]
        func section(_ title: String, _ walls: [Wall], _ line: (Wall) -> String) {
            lines.append("## \(title)")
            if walls.isEmpty { lines.append("- none this week") }
            for wall in walls { lines.append("- \(line(wall)) — \(link(wall.objectionID))") }
            lines.append("")
        }
        section("New walls", newWalls) { "\($0.statement) (\(Self.plural($0.count, "report")))" }
        section("Emerging walls", emerging) { "\($0.statement): \(Self.plural($0.count, "account")) in the last 2 weeks, \($0.before ?? 0) before" }
        section("Biggest movers in the backlog", movers) {
            "\($0.statement): \(Self.plural($0.count, "account")) this week, \($0.before ?? 0) the week before"
        }
        section("Content shipped", shipped) { "“\($0.content ?? "")” for \($0.statement)" }
        section("Still reported after their content shipped", stillReported) {
            "\($0.statement): \(Self.plural($0.count, "report")) since “\($0.content ?? "")” shipped"
        }
        return lines.joined(separator: "\n")
    }

    static func plural(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
}
