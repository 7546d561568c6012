import Foundation

/// The shape of a bite of content.
public enum ContentFormat: String, Codable, Sendable, CaseIterable {
    case blogPost = "blog_post"
    case video, podcast
    case onePager = "one_pager"
    case battlecard
    case caseStudy = "case_study"
    case resultsSheet = "results_sheet"
    case emailTemplate = "email_template"
    case demoScript = "demo_script"
    case other
}

/// todo → in_progress → in_review → published, or retired.
public enum ContentStatus: String, Codable, Sendable, CaseIterable {
    case todo
    case inProgress = "in_progress"
    case inReview = "in_review"
    case published, retired

    /// Active items count against the one-active-bite-per-objection rule.
    public var isActive: Bool { self == .todo || self == .inProgress || self == .inReview }
}

/// A bite of content that addresses one objection or one opportunity (exactly one of the two).
public struct ContentItem: Sendable, Equatable, Codable {
    public let id: UUID
    public let objectionID: UUID?
    public let opportunityID: UUID?
    public let title: String
    public let format: ContentFormat
    public let status: ContentStatus
    public let assigneeID: UUID?
    public let effort: Int?
    public let url: String?
    public let publishedAt: Date?
    public let version: Int
    public let createdAt: Date
    public let updatedAt: Date

    public init(id: UUID, objectionID: UUID?, opportunityID: UUID? = nil, title: String, format: ContentFormat, status: ContentStatus, assigneeID: UUID?,
                effort: Int?, url: String?, publishedAt: Date?, version: Int, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.objectionID = objectionID
        self.opportunityID = opportunityID
        self.title = title
        self.format = format
        self.status = status
        self.assigneeID = assigneeID
        self.effort = effort
        self.url = url
        self.publishedAt = publishedAt
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// What a bite addresses: a wall (an objection) or an opportunity (a focus item of that kind).
public enum ContentTarget: Sendable, Equatable {
    case objection(UUID)
    case opportunity(UUID)

    public init?(_ item: ContentItem) {
        if let id = item.objectionID { self = .objection(id) } else if let id = item.opportunityID { self = .opportunity(id) } else { return nil }
    }

    /// Exactly one of the two ids.
    public static func validate(objectionID: UUID?, opportunityID: UUID?) throws(ValidationError) -> ContentTarget {
        switch (objectionID, opportunityID) {
        case (let objection?, nil): return .objection(objection)
        case (nil, let opportunity?): return .opportunity(opportunity)
        case (nil, nil): throw ValidationError(field: "objection_id", "is required (or opportunity_id, for a bite that addresses an opportunity)")
        case (_?, _?): throw ValidationError(field: "opportunity_id", "cannot be given with objection_id; a bite addresses one of the two")
        }
    }

    public var objectionID: UUID? { if case .objection(let id) = self { id } else { nil } }
    public var opportunityID: UUID? { if case .opportunity(let id) = self { id } else { nil } }

    /// Why a second active bite is refused: one bite at a time.
    public var activeConflict: String {
        switch self {
        case .objection: "this objection already has an active content item"
        case .opportunity: "this opportunity already has an active content item"
        }
    }
}

/// Validated fields of a content item to create or change; nil leaves a field as it is.
public struct ContentChanges: Sendable {
    public var title: String?
    public var format: ContentFormat?
    public var status: ContentStatus?
    /// `.some(nil)` unassigns.
    public var assigneeID: UUID??
    public var effort: Int??
    public var url: String??

    public init(title: String? = nil, format: ContentFormat? = nil, status: ContentStatus? = nil, assigneeID: UUID?? = nil,
                effort: Int?? = nil, url: String?? = nil) {
        self.title = title
        self.format = format
        self.status = status
        self.assigneeID = assigneeID
        self.effort = effort
        self.url = url
    }

    public static func validate(title: String?, format: String?, status: String?, assigneeID: UUID??, effort: Int??,
                                url: String??, creating: Bool) throws(ValidationError) -> ContentChanges {
        var check = Validator()
        var changes = ContentChanges(assigneeID: assigneeID)
        if creating || title != nil { changes.title = check.text(title, field: "title", max: 300) }
        if creating && format == nil { changes.format = .other } else if format != nil {
            changes.format = check.oneOf(format, field: "format", ContentFormat.self)
        }
        if status != nil { changes.status = check.oneOf(status, field: "status", ContentStatus.self) }
        if let effort, let value = effort, !(0...1000).contains(value) { check.fail("effort", "must be from 0 to 1000") } else { changes.effort = effort }
        if let url {
            if let text = url?.trimmed, !text.isEmpty {
                // Code points, not characters: "/" and a combining mark after it are one character.
                let scalars = text.unicodeScalars
                let address = scalars.starts(with: "https://".unicodeScalars) ? scalars.dropFirst(8)
                    : scalars.starts(with: "http://".unicodeScalars) ? scalars.dropFirst(7) : nil
                if (url ?? nil)?.unicodeScalars.count ?? 0 > 2000 { check.fail("url", "must be at most 2000 characters") }
                else if let address, address.count >= 3, !address.contains(where: \.properties.isWhitespace) {
                    changes.url = .some(text)
                } else { check.fail("url", "must be an http(s) URL without spaces") }
            } else if changes.status == .published {
                // Publishing while clearing the URL is wrong whatever the bite holds, so it is refused before any version check.
                check.fail("url", "is required to publish")
            } else {
                changes.url = .some(nil)
            }
        }
        try check.finish()
        return changes
    }
}

/// A rep's verdict on a published bite.
public struct ContentFeedback: Sendable, Equatable {
    public let id: UUID
    public let contentID: UUID
    public let userID: UUID
    public let helpful: Bool
    public let account: String?
    public let comment: String?
    public let createdAt: Date

    public init(id: UUID, contentID: UUID, userID: UUID, helpful: Bool, account: String?, comment: String?, createdAt: Date) {
        self.id = id
        self.contentID = contentID
        self.userID = userID
        self.helpful = helpful
        self.account = account
        self.comment = comment
        self.createdAt = createdAt
    }
}
