import Foundation
import RoadworkDomain
import RoadworkStore

extension Actions {
    /// Plans a bite of content against an objection or an opportunity. A double optional is "leave" (nil), "clear"
    /// (`.some(nil)`) or "set".
    public func createContent(by identity: Identity, objectionID: UUID?, opportunityID: UUID? = nil, title: String?, format: String?,
                              status: String?, assigneeID: UUID??, effort: Int??, url: String??) async throws -> ContentItem {
        let target = try ContentTarget.validate(objectionID: objectionID, opportunityID: opportunityID)
        let fields = try ContentChanges.validate(title: title, format: format, status: status, assigneeID: assigneeID, effort: effort, url: url,
                                                 creating: true)
        return try await change(by: identity) { store in
            try store.createContent(for: target, fields: fields, scoring: try store.scoring())
        }
    }

    /// Edits, moves or publishes a bite.
    public func editContent(by identity: Identity, id: UUID, title: String? = nil, format: String? = nil, status: String? = nil,
                            assigneeID: UUID?? = nil, effort: Int?? = nil, url: String?? = nil, expectedVersion: Int?) async throws -> ContentItem {
        let changes = try ContentChanges.validate(title: title, format: format, status: status, assigneeID: assigneeID, effort: effort, url: url,
                                                  creating: false)
        return try await change(by: identity) { store in
            try store.updateContent(id: id, changes: changes, expectedVersion: expectedVersion, scoring: try store.scoring())
        }
    }

    /// A rep's verdict on a bite: helpful or not, for which account. Reps see published content only, so only that.
    public func giveFeedback(by identity: Identity, contentID: UUID, helpful: Bool?, account: String?, comment: String?) async throws -> ContentFeedback {
        var check = Validator()
        if helpful == nil { check.fail("helpful", "is required") }
        let account = check.optionalText(account, field: "account", max: 200)
        let comment = check.optionalText(comment, field: "comment", max: 2000)
        try check.finish()
        return try await change(by: identity) { store in
            if identity.role == .rep, try store.content(id: contentID)?.status != .published { throw DomainError.notFound("content item") }
            return try store.addFeedback(contentID: contentID, helpful: helpful!, account: account, comment: comment)
        }
    }

    /// Takes the top objection nobody is working on and starts a bite for it; nil when nothing is left to pull.
    public func pullNext(by identity: Identity, format: String?, title: String?) async throws -> (content: ContentItem, objection: Objection)? {
        var check = Validator()
        let format = format.map { check.oneOf($0, field: "format", ContentFormat.self) } ?? .other
        let title = check.optionalText(title, field: "title", max: 300)
        try check.finish()
        return try await change(by: identity) { store in
            try store.pullNext(format: format ?? .other, title: title, scoring: try store.scoring()).map { (content: $0.0, objection: $0.1) }
        }
    }
}
