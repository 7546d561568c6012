import Foundation

/// A draft or agreed Top 5: ordered ids, first is rank 1.
public struct Lineup: Sendable, Equatable, Codable {
    public let version: Int
    public let opportunities: [UUID]
    public let obstacles: [UUID]

    public init(version: Int, opportunities: [UUID], obstacles: [UUID]) {
        self.version = version
        self.opportunities = opportunities
        self.obstacles = obstacles
    }

    /// A Top 5 holds at most five items: checked with the request's shape, before anything is read or compared.
    public static func checkSize(_ ids: [UUID], field: String, _ check: inout Validator) {
        if ids.count > 5 { check.fail(field, "must hold at most 5 items, not \(ids.count)") }
    }

    /// Checks a proposed lineup against the items it names: ≤ 5 each, distinct, right kind, known, not retired.
    /// Every bad id is named in its field (`obstacles[2]`).
    public static func validate(opportunities: [UUID], obstacles: [UUID], items: [UUID: FocusItem]) throws {
        for (field, ids) in [("opportunities", opportunities), ("obstacles", obstacles)] {
            if let index = ids.firstIndex(where: { items[$0] == nil }) { throw MissingReference(field: "\(field)[\(index)]", "focus item") }
        }
        var check = Validator()
        for (field, ids, kind) in [("opportunities", opportunities, FocusKind.opportunity), ("obstacles", obstacles, .obstacle)] {
            checkSize(ids, field: field, &check)
            var seen = Set<UUID>()
            for (index, id) in ids.enumerated() {
                let name = "\(field)[\(index)]"
                let lowered = id.uuidString.lowercased()
                if !seen.insert(id).inserted { check.fail(name, "\(lowered) is listed twice"); continue }
                guard let item = items[id] else { continue }
                if item.kind != kind { check.fail(name, "\(lowered) is an \(item.kind.rawValue), not an \(kind.rawValue)") }
                if item.status == .retired { check.fail(name, "\(lowered) is retired") }
            }
        }
        try check.finish()
    }
}

public enum ReviewStatus: String, Codable, Sendable {
    case open, closed
}

/// One head's agreement to one lineup version.
public struct Signoff: Sendable, Equatable, Codable {
    public let userID: UUID
    public let role: Role
    public let lineupVersion: Int
    public let at: Date

    public init(userID: UUID, role: Role, lineupVersion: Int, at: Date) {
        self.userID = userID
        self.role = role
        self.lineupVersion = lineupVersion
        self.at = at
    }
}

/// A joint review of the sales and marketing heads.
public struct JointReview: Sendable, Equatable, Codable {
    public let id: UUID
    public let status: ReviewStatus
    public let lineup: Lineup
    public let notes: String
    public let signoffs: [Signoff]
    public let openedAt: Date
    public let closedAt: Date?
    public let version: Int

    public init(id: UUID, status: ReviewStatus, lineup: Lineup, notes: String, signoffs: [Signoff], openedAt: Date,
                closedAt: Date?, version: Int) {
        self.id = id
        self.status = status
        self.lineup = lineup
        self.notes = notes
        self.signoffs = signoffs
        self.openedAt = openedAt
        self.closedAt = closedAt
        self.version = version
    }

    /// True when a sales head and a marketing head have both signed the current lineup version.
    public static func isAgreed(_ signoffs: [Signoff], lineupVersion: Int) -> Bool {
        let roles = Set(signoffs.filter { $0.lineupVersion == lineupVersion }.map(\.role))
        return roles.contains(.salesHead) && roles.contains(.marketingHead)
    }
}
