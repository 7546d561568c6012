import Foundation
import Hummingbird
import Mustache
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// The content board: columns by status, move and publish, reps' verdicts.
struct ContentPages {
    let web: Web

    static let columns: [(ContentStatus, String)] = [(.todo, "To do"), (.inProgress, "In progress"), (.inReview, "In review"), (.published, "Published")]

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("content") { request, _ in
            let identity = try await web.identity(request)
            let values = try await web.read(identity) { store -> [String: Any] in
                let shown = Self.columns.filter { status, _ in identity.role != .rep || status == .published }
                let cards = Dictionary(grouping: try store.contentBoard(statuses: shown.map(\.0), perColumn: 100), by: \.item.status)
                let columns = shown.map { status, label -> [String: Any] in
                    let items = cards[status] ?? []
                    return ["key": status.rawValue, "label": label, "count": items.count,
                            "cards": RenderedRows(template: Templates.Row.content_card.template, rows: items.map { ContentBoardCard($0, for: identity) })]
                }
                return ["columns": columns]
            }
            return web.page(.content, title: "Content", identity: identity, request: request, values: values)
        }
        router.post("content/:id") { request, context in
            let identity = try await web.identity(request, as: Roles.planners)
            let form = try await web.form(request, context: context)
            let id = try request.uuidParameter("id", context: context, what: "content item")
            do {
                _ = try await web.actions.editContent(by: identity, id: id, status: form["status"],
                                                      url: form["url"].map { $0.trimmed.isEmpty ? nil : $0 }, expectedVersion: nil)
                return Web.redirect("/content#\(id.lowercasedText)", done: "Moved.")
            } catch let error as ValidationError {
                throw PageRefusal(back: "/content", message: "Not moved: \(error.description).")
            } catch DomainError.conflict(let message) {
                throw PageRefusal(back: "/content", message: "Not moved: \(message).", status: .conflict)
            }
        }
        router.post("content/:id/feedback") { request, context in
            let identity = try await web.identity(request)
            let form = try await web.form(request, context: context)
            let id = try request.uuidParameter("id", context: context, what: "content item")
            _ = try await web.actions.giveFeedback(by: identity, contentID: id, helpful: try form.required("helpful", form.bool), account: nil, comment: nil)
            return Web.redirect("/content", done: "Thanks — marketing will hear it.")
        }
    }
}

/// A card as its row template (`content_card.mustache`) reads it, up to a hundred a column: its facts as one text, and its
/// status as one flag per status name, which the status list's options test.
struct ContentBoardCard: MustacheParent {
    let id, title, facts: TemplateText
    let url: TemplateText?
    let status: ContentStatus
    let canPlan, canFeedback: Bool

    init(_ card: ContentCard, for identity: Identity) {
        let item = card.item
        id = TemplateText(text: item.id.lowercasedText)
        title = TemplateText(text: item.title)
        let target = item.opportunityID == nil ? card.targetTitle : "Opportunity: \(card.targetTitle)"
        let facts = [spaced(item.format.rawValue), target, card.assigneeName ?? ""]
        self.facts = TemplateText(text: facts.filter { !$0.isEmpty }.joined(separator: " · "))
        url = item.url.flatMap { $0.isEmpty ? nil : TemplateText(text: $0) }
        status = item.status
        canPlan = identity.role.canManagePlanning
        canFeedback = identity.role == .rep && item.status == .published
    }

    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "title": title
        case "facts": facts
        case "url": url
        case "canPlan": canPlan
        case "canFeedback": canFeedback
        default: ContentStatus(rawValue: name).map { $0 == status }
        }
    }
}
