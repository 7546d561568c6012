import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// The ranked backlog with why each wall ranks there, and Pull next.
struct BacklogPages {
    let web: Web

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("backlog") { request, _ in
            let identity = try await web.identity(request)
            let values = try await web.read(identity, mayLag: true) { store -> [String: Any] in
                let entries = try store.backlog(limit: 50)
                let names = Dictionary(try store.users(after: nil, limit: 500).map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
                let logTop = log2(max(2, entries.map(\.breakdown.score).max() ?? 2))
                return ["entries": RenderedRows(template: Templates.Row.backlog_entry.template, rows: entries.map { entry -> TemplateObject in
                    let b = entry.breakdown
                    // Widths split the bar by each factor's share of log(score), scaled to the top entry.
                    let parts = [max(0, log2(1 + b.demand)), log2(b.strategic), max(0, -log2(b.coverage))]
                    let scale = 100 / max(1, logTop + 1)
                    return TemplateObject(present(["id": entry.objection.id.lowercasedText, "statement": entry.objection.statement, "rank": entry.rank,
                            "score": b.score.fixed(1), "demand": b.demand.fixed(2),
                            "strategic": b.strategic.fixed(1), "coverage": b.coverage.fixed(2),
                            "demandWidth": Int(min(100, parts[0] * scale)), "strategicWidth": Int(min(100, parts[1] * scale)),
                            "coverageWidth": Int(min(100, parts[2] * scale)),
                            "accounts": b.accounts, "reps": b.reps, "reports": b.reports, "value": Int(b.valueAtStake),
                            "last": b.lastReportedOn?.description ?? "—",
                            "obstacle": entry.obstacle?.title, "obstacleRank": entry.obstacle?.rank,
                            "content": entry.activeContent?.title, "contentID": entry.activeContent?.id.lowercasedText,
                            "contentStatus": entry.activeContent.map { spaced($0.status.rawValue) },
                            "owner": entry.activeContent?.assigneeID.flatMap { names[$0] } ?? "unassigned"]))
                }), "formats": ContentFormat.allCases.map(\.rawValue)]
            }
            return web.page(.backlog, title: "Backlog", identity: identity, request: request, values: values)
        }
        router.post("backlog/next") { request, context in
            let identity = try await web.identity(request, as: Roles.planners)
            let form = try await web.form(request, context: context)
            let pulled: UUID?
            do {
                pulled = try await web.actions.pullNext(by: identity, format: form.nonEmpty("format"), title: nil)?.content.id
            } catch let error as ValidationError {
                throw PageRefusal(back: "/backlog", message: "Nothing pulled: \(error.description).")
            }
            guard let id = pulled else { return Web.redirect("/backlog", done: "Nothing left to pull.") }
            return Web.redirect("/content#\(id.lowercasedText)", done: "It's yours: a new bite is in progress.")
        }
    }
}
