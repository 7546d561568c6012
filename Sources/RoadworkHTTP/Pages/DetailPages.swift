import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// One objection or one focus item: its reports, content and history.
struct DetailPages {
    let web: Web

    /// Won and lost among the deals that reported a wall (an objection, or an obstacle's objections); nil when none did.
    static func dealRow(_ tally: DealTally) -> [String: Any]? {
        guard tally.deals > 0 else { return nil }
        func money(_ value: Double) -> String { "$" + value.formatted(.number.precision(.fractionLength(0))) }
        return ["count": tally.deals, "won": tally.won, "lost": tally.lost, "open": tally.open,
                "wonValue": money(tally.wonValue), "lostValue": money(tally.lostValue), "openValue": money(tally.openValue)]
    }

    /// One shipped bite on the objection page: what it did to the wall, as a chart and as a table.
    static func impactRow(_ publication: WallImpact.Publication) -> [String: Any] {
        func rate(_ value: Double?) -> String { value.map { $0.fixed(1) } ?? "—" }
        return present([
            "title": publication.title, "url": publication.url, "day": publication.publishedOn.description,
            "verdict": publication.verdict.label, "verdictKey": publication.verdict.rawValue,
            "notStopped": publication.verdict == .notStopped ? true : nil,
            "before": rate(publication.beforeRate), "after": rate(publication.afterRate), "weeksAfter": publication.weeksAfter,
            "change": publication.change.map { String(format: "%+.0f%%", $0 * 100) },
            "helpful": publication.helpful, "notHelpful": publication.notHelpful,
            "svg": ImpactChart.svg(publication), "summary": ImpactChart.describe(publication),
            "weeks": publication.weeks.map { ["week": $0.week >= 0 ? "+\($0.week)" : "\($0.week)", "starts": $0.startsOn.description,
                                              "accounts": $0.accounts, "partial": $0.complete ? nil : true] as [String: Any?] }.map { present($0) },
        ])
    }

    /// An object's recorded changes, newest first, one line each.
    static func history(_ events: [AuditEvent]) -> RenderedRows {
        RenderedRows(template: Templates.Row.history_line.template,
                     rows: events.map { TemplateObject(["action": $0.action, "at": Day($0.at).description]) })
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("objections/:id") { request, context in
            let identity = try await web.identity(request)
            let id = try request.uuidParameter("id", context: context, what: "objection")
            let values = try await web.readIfFound(identity) { store -> [String: Any]? in
                guard let overview = try store.objectionOverview(id: id, reporterID: identity.role == .rep ? identity.userID : nil,
                                                                 publishedOnly: identity.role == .rep, limit: 50, auditLimit: 20) else { return nil }
                let (objection, obstacle, reports, content) = (overview.objection, overview.obstacle, overview.reports, overview.content)
                // The chart reads every report of the wall around each publication: kept a minute under the wall's newest
                // publication (one of its own bites, so no other wall's key), or the wall itself before any; a bite just
                // shipped is a new key and shows at once.
                let newest = content.filter { $0.publishedAt != nil }.max { ($0.publishedAt!, $0.id.uuidString) < ($1.publishedAt!, $1.id.uuidString) }
                return present(["impactKey": newest?.id ?? id, "id": objection.id.lowercasedText, "statement": objection.statement, "status": objection.status.rawValue, "count": objection.reportCount,
                        "obstacle": obstacle?.title, "obstacleID": obstacle?.id.lowercasedText,
                        "reports": RenderedRows(template: Templates.Row.objection_report.template, rows: reports.map {
                            TemplateObject(["summary": $0.summary, "account": $0.account, "day": $0.occurredOn.description])
                        }),
                        "hasReports": !reports.isEmpty,
                        "content": content.map { ["title": $0.title, "status": spaced($0.status.rawValue)] },
                        "audit": Self.history(overview.audit)])
            }
            guard var values, let impactKey = values.removeValue(forKey: "impactKey") as? UUID else { throw Problem.notFound("objection") }
            let wallImpact = try await web.wallImpacts.value(for: impactKey) {
                try await web.database.tenant(identity, mayLag: false) { try $0.wallImpact(objectionID: id, today: Day.today()) }
            }
            let impact = wallImpact?.publications.reversed().map(Self.impactRow) ?? []
            if !impact.isEmpty { values["impact"] = impact }
            if let notStopped = impact.first?["notStopped"] { values["notStopped"] = notStopped }
            // Won and lost goes over every account that reported the wall: kept a minute per wall (the API answers it fresh).
            let tally = try await web.dealTallies.value(for: id) {
                try await web.database.tenant(identity, mayLag: false) { try $0.dealTally(objectionIDs: [id]) }
            }
            if let deals = Self.dealRow(tally) { values["deals"] = deals }
            return web.page(.objection, title: "Objection", identity: identity, request: request, values: values)
        }
        router.get("items/:id") { request, context in
            let identity = try await web.identity(request)
            let id = try request.uuidParameter("id", context: context, what: "focus item")
            let values = try await web.readIfFound(identity) { store -> [String: Any]? in
                guard let item = try store.focusItem(id: id) else { return nil }
                var values: [String: Any?] = ["title": item.title, "kind": item.kind.rawValue, "status": item.status.rawValue, "rank": item.rank,
                        "description": item.description, "id": item.id.lowercasedText,
                        "audit": Self.history(try store.auditEvents(objectID: id, before: nil, limit: 20))]
                if item.kind == .obstacle {
                    values["deals"] = Self.dealRow(try store.dealTally(objectionIDs: try store.objectionIDs(obstacleID: id)))
                    values["objections"] = try store.objections(status: nil, obstacleID: id, query: nil, after: nil, limit: 50).map {
                        ["id": $0.id.lowercasedText, "statement": $0.statement, "count": $0.reportCount]
                    }
                } else {
                    // An opportunity is won by teaching buyers: its own bites, and a form to plan the next one.
                    let bites = try store.contentItems(objectionID: nil, opportunityID: id, status: nil, assigneeID: nil,
                                                       publishedOnly: identity.role == .rep, after: nil, limit: 50)
                    var opportunity = ProgressBar.values(try store.contentProgress(focusIDs: [id])[id])
                    opportunity["content"] = bites.map(ProgressBar.bite)
                    opportunity["formats"] = ContentFormat.allCases.map(\.rawValue)
                    // One bite at a time: the form waits until the active one is published or retired.
                    if let active = bites.first(where: { $0.status.isActive }) {
                        opportunity["active"] = active.title
                    } else if identity.role.canManagePlanning && item.status != .retired {
                        opportunity["planBite"] = true
                    }
                    values["opportunity"] = opportunity
                }
                return present(values)
            }
            guard let values else { throw Problem.notFound("focus item") }
            // The item's own title heads the page (the layout's `title` is the page's).
            return web.page(.item, title: values["title"] as? String ?? "Focus item", identity: identity, request: request, values: values)
        }
        // A marketer or head plans a bite for an opportunity from the opportunity's page.
        router.post("items/:id/content") { request, context in
            let identity = try await web.identity(request, as: Roles.planners)
            let form = try await web.form(request, context: context)
            let id = try request.uuidParameter("id", context: context, what: "focus item")
            let back = "/items/\(id.lowercasedText)"
            do {
                let item = try await web.actions.createContent(by: identity, objectionID: nil, opportunityID: id, title: form["title"],
                                                               format: form["format"], status: nil, assigneeID: nil, effort: nil, url: nil)
                return Web.redirect("\(back)#bites", done: "“\(item.title)” is on the content board, to do.")
            } catch let error as ValidationError {
                throw PageRefusal(back: back, message: "Not planned: \(error.description).")
            } catch DomainError.conflict(let message) {
                throw PageRefusal(back: back, message: "Not planned: \(message).", status: .conflict)
            }
        }
    }
}
