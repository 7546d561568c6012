import Foundation

public enum ObjectionStatus: String, Codable, Sendable, CaseIterable {
    case open, dismissed, merged
}

/// One concrete wall in the road, optionally under a Top 5 obstacle.
public struct Objection: Sendable, Equatable, Codable {
    public let id: UUID
    public let statement: String
    public let obstacleID: UUID?
    public let status: ObjectionStatus
    public let mergedIntoID: UUID?
    public let reportCount: Int
    public let version: Int
    public let createdAt: Date
    public let updatedAt: Date

    public init(id: UUID, statement: String, obstacleID: UUID?, status: ObjectionStatus, mergedIntoID: UUID?,
                reportCount: Int, version: Int, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.statement = statement
        self.obstacleID = obstacleID
        self.status = status
        self.mergedIntoID = mergedIntoID
        self.reportCount = reportCount
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A validated new objection.
public struct NewObjection: Sendable {
    public let statement: String
    public let obstacleID: UUID?

    public static func validate(statement: String?, obstacleID: UUID?, field prefix: String = "") throws(ValidationError) -> NewObjection {
        var check = Validator()
        let statement = check.text(statement, field: prefix + "statement", max: 300)
        try check.finish()
        return NewObjection(statement: statement!, obstacleID: obstacleID)
    }
}

/// A validated edit of an objection: statement, obstacle link, or dismiss/reopen (merging has its own action).
public struct ObjectionChanges: Sendable {
    public var statement: String?
    /// `.some(nil)` unlinks the obstacle.
    public var obstacleID: UUID??
    public var status: ObjectionStatus?

    public static func validate(statement: String?, obstacleID: UUID??, status: String?) throws(ValidationError) -> ObjectionChanges {
        var check = Validator()
        var changes = ObjectionChanges(obstacleID: obstacleID)
        if statement != nil { changes.statement = check.text(statement, field: "statement", max: 300) }
        if status != nil {
            changes.status = check.oneOf(status, field: "status", ObjectionStatus.self)
            if changes.status == .merged { check.fail("status", "use POST /api/v1/objections/{id}/merge to merge") }
        }
        try check.finish()
        return changes
    }
}
