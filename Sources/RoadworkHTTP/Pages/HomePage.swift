import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// The shared picture: Top 5 side by side, new walls, the top of the backlog, and a rep's own reports.
struct HomePage {
    let web: Web

    func addRoutes(to router: Router<AppRequestContext>) {
        // A rep says how a deal they reported ended, in one tap from the home page.
        router.post("deals") { request, context in
            let identity = try await web.identity(request)
            let form = try await web.form(request, context: context)
            do {
                let recorded = try await web.actions.recordDealOutcome(by: identity, account: form["account"], outcome: form["outcome"], amount: nil)
                return Web.redirect("/#deals", done: "\(recorded.account): recorded as \(recorded.outcome == .won ? "won" : "lost").")
            } catch let error as ValidationError {
                throw PageRefusal(back: "/", message: "Not recorded: \(error.description).")
            }
        }
        router.get("/") { request, _ in
            let identity = try await web.identity(request)
            let today = Day.today()
            let slow = try await web.slowChanging.value(for: identity.orgID) {
                try await web.database.tenant(identity, mayLag: true) { store in
                    SlowFacts(trends: try store.trends(weeks: 12, today: today, topObjections: []), emerging: try store.emergingWalls(today: today, limit: 5))
                }
            }
            let values = try await web.read(identity, mayLag: true) { store -> [String: Any] in
                // Everyone's part of the page in one round trip; a rep's own reports and deals in a second.
                let (top, progress, backlog, newest, bites, notifications) = try store.run(
                    store.topFiveRead(), store.topFiveProgressRead(), store.backlogRead(limit: 5),
                    store.newestOpenObjectionsUnderTopFiveRead(limit: 5), store.topFiveOpportunityBitesRead(perItem: 3),
                    store.notificationsRead(unreadOnly: true, after: nil, limit: 5))
                let counts = Dictionary(slow.trends.map { ($0.id, $0.counts) }, uniquingKeysWith: { a, _ in a })
                let obstacles = top.obstacles.map { item -> [String: Any] in
                    ProgressBar.values(progress[item.id]).merging([
                        "id": item.id.lowercasedText, "title": item.title, "rank": item.rank ?? 0,
                        "spark": Sparkline.svg(counts[item.id] ?? [], label: "Accounts reporting per week, last 12 weeks"),
                        "objections": (newest[item.id] ?? []).map {
                            ["id": $0.id.lowercasedText, "statement": $0.statement, "count": $0.reportCount]
                        }]) { _, new in new }
                }
                let opportunities = top.opportunities.map { item -> [String: Any] in
                    ProgressBar.values(progress[item.id]).merging([
                        "id": item.id.lowercasedText, "title": item.title, "rank": item.rank ?? 0,
                        "content": (bites[item.id] ?? []).map { ProgressBar.bite($0) }]) { _, new in new }
                }
                var values: [String: Any] = [
                    "opportunities": opportunities,
                    "obstacles": obstacles,
                    "emerging": slow.emerging.map {
                        ["id": $0.objection.id.lowercasedText, "statement": $0.objection.statement, "recent": $0.accountsRecent, "before": $0.accountsBefore]
                    },
                    "backlog": backlog.map { ["id": $0.objection.id.lowercasedText, "statement": $0.objection.statement, "rank": $0.rank,
                                              "score": $0.breakdown.score.fixed(1)] },
                ]
                if identity.role == .rep {
                    let (mine, deals) = try store.run(store.reportsRead(ReportFilter(reporterID: identity.userID), mergedInto: nil, after: nil, limit: 5),
                                                      store.reportedDealsRead(reporterID: identity.userID, limit: 8))
                    values["mine"] = mine.map { ["summary": $0.summary, "account": $0.account, "day": $0.occurredOn.description] }
                    values["deals"] = deals.map { deal -> [String: Any] in
                        present(["account": deal.account, "stage": deal.lastStage.map { spaced($0.rawValue) } ?? "—",
                                 "outcome": deal.outcome.map { $0 == .won ? "won" : "lost" },
                                 "isWon": deal.outcome == .won ? true : nil, "isLost": deal.outcome == .lost ? true : nil])
                    }
                }
                values["notifications"] = notifications.map {
                    ["id": $0.id.lowercasedText, "message": $0.message]
                }
                return values.mapValues { $0 as Any }
            }
            return web.page(.home, title: "Home", identity: identity, request: request, values: values, revalidated: true)
        }
        router.post("notifications/:id/read") { request, context in
            let identity = try await web.identity(request)
            _ = try await web.form(request, context: context)
            let id = try request.uuidParameter("id", context: context, what: "notification")
            try await web.actions.markNotificationRead(by: identity, id: id)
            return Web.redirect("/")
        }
    }
}

/// What the home page shows that is slow to aggregate and slow to change, kept per organization for a minute.
struct SlowFacts: Sendable {
    let trends: [TrendSeries]
    let emerging: [EmergingWall]
}

/// A Top 5 item's bites: how many, how many published, and the bar between them.
enum ProgressBar {
    static func values(_ counts: (bites: Int, published: Int)?) -> [String: Any] {
        let (all, published) = counts ?? (0, 0)
        var values: [String: Any] = ["bites": all, "published": published, "progress": all == 0 ? 0 : published * 100 / all]
        if all == 0 { values["noBites"] = true }
        return values
    }

    /// One bite as a line under its opportunity: title, status, and its link once published.
    static func bite(_ item: ContentItem) -> [String: Any] {
        present(["id": item.id.lowercasedText, "title": item.title, "status": spaced(item.status.rawValue),
                 "url": item.status == .published ? item.url : nil])
    }
}

/// A 12-week sparkline drawn on the server as inline SVG.
enum Sparkline {
    static func svg(_ counts: [Int], label: String) -> String {
        let width = 120.0, height = 24.0
        guard counts.count > 1 else { return "" }
        let top = Double(max(1, counts.max() ?? 1))
        let step = width / Double(counts.count - 1)
        let points = counts.enumerated().map { index, value in
            (Double(index) * step).fixed(1) + "," + (height - 2 - (Double(value) / top) * (height - 4)).fixed(1)
        }.joined(separator: " ")
        return """
        <svg class="spark" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="\(label): \(counts.map(String.init).joined(separator: ", "))"><polyline fill="none" stroke="#0b5cad" stroke-width="2" points="\(points)"/></svg>
        """
    }
}
