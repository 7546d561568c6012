import Foundation

/// Opportunity or obstacle.
public enum FocusKind: String, Codable, Sendable, CaseIterable {
    case opportunity, obstacle
}

/// A candidate, one of today's Top 5 (with a rank), or retired.
public enum FocusStatus: String, Codable, Sendable, CaseIterable {
    case candidate, top5, retired
}

/// Something the company can exploit (opportunity) or that inhibits sales (obstacle).
public struct FocusItem: Sendable, Equatable, Codable {
    public let id: UUID
    public let kind: FocusKind
    public let title: String
    public let description: String
    public let status: FocusStatus
    public let rank: Int?
    public let version: Int
    public let createdAt: Date
    public let updatedAt: Date

    public init(id: UUID, kind: FocusKind, title: String, description: String, status: FocusStatus, rank: Int?,
                version: Int, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.kind = kind
        self.title = title
        self.description = description
        self.status = status
        self.rank = rank
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A validated new focus item; it starts as a candidate (the Top 5 changes only through a signed review).
public struct NewFocusItem: Sendable {
    public let kind: FocusKind
    public let title: String
    public let description: String

    public static func validate(kind: String?, title: String?, description: String?) throws(ValidationError) -> NewFocusItem {
        var check = Validator()
        let kind = check.oneOf(kind, field: "kind", FocusKind.self)
        let title = check.text(title, field: "title", max: 300)
        let description = check.optionalText(description, field: "description", max: 4000) ?? ""
        try check.finish()
        return NewFocusItem(kind: kind!, title: title!, description: description)
    }
}

/// A validated edit of a focus item: title, description, or retiring/restoring it (not its rank).
public struct FocusItemChanges: Sendable {
    public var title: String?
    public var description: String?
    public var status: FocusStatus?

    public static func validate(title: String?, description: String?, status: String?) throws(ValidationError) -> FocusItemChanges {
        var check = Validator()
        var changes = FocusItemChanges()
        if title != nil { changes.title = check.text(title, field: "title", max: 300) }
        if let description { changes.description = check.optionalText(description, field: "description", max: 4000) ?? "" }
        if status != nil {
            changes.status = check.oneOf(status, field: "status", FocusStatus.self)
            if changes.status == .top5 { check.fail("status", "the Top 5 changes only through a signed joint review") }
        }
        try check.finish()
        return changes
    }
}

extension Validator {
    /// One of an enum's raw values.
    public mutating func oneOf<T: RawRepresentable & CaseIterable>(_ value: String?, field: String, _ type: T.Type) -> T?
    where T.RawValue == String {
        guard let value else { fail(field, "is required"); return nil }
        guard let parsed = T(rawValue: value) else {
            fail(field, "must be one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return parsed
    }
}
