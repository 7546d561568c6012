import Foundation

/// A company using Roadwork; every other object belongs to exactly one.
public struct Organization: Sendable, Equatable, Codable {
    public let id: UUID
    public let name: String
    /// Half-life H of a report's weight in the backlog, in days.
    public let halfLifeDays: Double
    /// Reference deal size V for the value-at-stake factor.
    public let referenceDealSize: Double
    public let version: Int
    public let createdAt: Date

    public init(id: UUID, name: String, halfLifeDays: Double, referenceDealSize: Double, version: Int, createdAt: Date) {
        self.id = id
        self.name = name
        self.halfLifeDays = halfLifeDays
        self.referenceDealSize = referenceDealSize
        self.version = version
        self.createdAt = createdAt
    }

    /// Checks an organization name.
    public static func validateName(_ name: String?) throws(ValidationError) -> String {
        var check = Validator()
        let name = check.text(name, field: "name", max: 200)
        try check.finish()
        return name!
    }
}
