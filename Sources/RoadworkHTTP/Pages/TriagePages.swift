import Foundation
import Hummingbird
import Mustache
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// The triage inbox: each untriaged report with its best match and how sure the search is, one-click accept, accept all
/// confident suggestions, and objections that look like duplicates of each other.
struct TriagePages {
    let web: Web
    static let inboxSize = 50

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("triage") { request, _ in
            let identity = try await web.identity(request, as: Roles.planners)
            let values = try await web.read(identity) { store -> [String: Any] in
                let inbox = try store.triageInbox(limit: Self.inboxSize, memo: web.database.suggestionMemo)
                return [
                    "count": inbox.count,
                    "confidentCount": inbox.filter { $0.confidentSuggestion != nil }.count,
                    "reports": RenderedRows(template: Templates.Row.triage_row.template, rows: inbox.map(Self.row)),
                ]
            }
            return web.page(.triage, title: "Triage", identity: identity, request: request, values: values)
        }
        // Objections that read alike, each offered as a merge of the smaller into the larger (a page of its own: comparing
        // every new objection with all the others is more work than the inbox should wait for).
        router.get("triage/duplicates") { request, _ in
            let identity = try await web.identity(request, as: Roles.planners)
            let values = try await web.read(identity) { store -> [String: Any] in
                return [
                    "open": try Self.openObjections(store),
                    "duplicates": try store.duplicateObjections().map { pair -> [String: Any] in
                        ["sourceID": pair.source.id.lowercasedText, "source": pair.source.statement, "sourceReports": pair.source.reportCount,
                         "targetID": pair.target.id.lowercasedText, "target": pair.target.statement, "targetReports": pair.target.reportCount,
                         "alike": Self.percent(pair.similarity)]
                    },
                ]
            }
            return web.page(.duplicates, title: "Duplicate objections", identity: identity, request: request, values: values)
        }
        router.post("triage/accept-confident") { request, context in
            let identity = try await web.identity(request, as: Roles.planners)
            _ = try await web.form(request, context: context)
            let accepted = try await web.actions.acceptConfidentSuggestions(by: identity, limit: Self.inboxSize).count
            return Web.redirect("/triage", done: accepted == 1 ? "1 report triaged." : "\(accepted) reports triaged.")
        }
        router.post("triage/:id") { request, context in
            let identity = try await web.identity(request, as: Roles.planners)
            let form = try await web.form(request, context: context)
            let id = try request.uuidParameter("id", context: context, what: "report")
            // One row offers three ways to say where a report belongs; a new statement wins, then the list, then a typed name.
            let new = form.nonEmpty("statement").map { ObjectionDraft(statement: $0, obstacleID: nil) }
            let picked = new == nil ? try form.uuid("objection_id") : nil
            let named = new == nil && picked == nil ? form.nonEmpty("objection_statement") : nil
            guard new != nil || picked != nil || named != nil else { throw PageRefusal(back: "/triage", message: "Pick an objection or write a new one.") }
            do {
                _ = try await web.actions.triage(by: identity, reportID: id, objectionID: picked, objectionStatement: named, newObjection: new)
                return Web.redirect("/triage", done: "Report triaged.")
            } catch let error as ValidationError {
                throw PageRefusal(back: "/triage", message: "Not triaged: \(error.errors.first?.message ?? "invalid").")
            }
        }
        router.post("objections/merge") { request, context in
            let identity = try await web.identity(request, as: Roles.planners)
            let form = try await web.form(request, context: context)
            let source = try form.required("source", form.uuid)
            let into = try form.required("into", form.uuid)
            do {
                _ = try await web.actions.mergeObjection(by: identity, source, into: into)
                return Web.redirect("/triage/duplicates", done: "Objections merged.")
            } catch let error as ValidationError {
                throw PageRefusal(back: "/triage/duplicates", message: "Not merged: \(error.errors.first?.message ?? "invalid").")
            }
        }
    }

    /// The open objections (the newest 200) a marketer may merge, for the duplicates page's lists. The inbox lists none: its
    /// "any open objection" fields ask the objections list as a marketer types (app.js), over all of them.
    static func openObjections(_ store: Store) throws -> [[String: String]] {
        try store.objections(status: .open, obstacleID: nil, query: nil, after: nil, limit: 200)
            .map { ["id": $0.id.lowercasedText, "statement": $0.statement] }
    }

    static func percent(_ similarity: Double) -> String { "\(Int((similarity * 100).rounded()))%" }

    /// One inbox row: the report, its best match (marked when confident) and the runners-up.
    static func row(_ item: TriageItem) -> TriageRow {
        let report = item.report
        let best = item.suggestions.first
        let confident = item.confidentSuggestion != nil
        let facts = [report.account, report.occurredOn.description] + (report.dealAmount.map { ["$\($0)"] } ?? [])
        return TriageRow(
            reportID: TemplateText(text: report.id.lowercasedText), summary: TemplateText(text: report.summary),
            account: TemplateText(text: report.account), facts: TemplateText(text: facts.joined(separator: " · ")),
            summaryShort: TemplateText(text: String(report.summary.prefix(300))),
            bestID: best.map { TemplateText(text: $0.objection.id.lowercasedText) }, bestStatement: best.map { TemplateText(text: $0.objection.statement) },
            bestBadge: best.map { TemplateText(text: percent($0.similarity) + (confident ? " · confident" : "")) }, confident: confident,
            others: item.suggestions.dropFirst().map {
                TemplateObject(["id": $0.objection.id.lowercasedText, "label": "\($0.objection.statement) (\(percent($0.similarity)))"])
            })
    }
}

/// An inbox row as its row template (`triage_row.mustache`) reads it, fifty times a page: its facts and badge as one text
/// each, the best match's fields in the row itself, and its sections as flags.
struct TriageRow: MustacheParent {
    let reportID, summary, account, facts, summaryShort: TemplateText
    let bestID, bestStatement, bestBadge: TemplateText?
    let confident: Bool
    let others: [TemplateObject]

    func child(named name: String) -> Any? {
        switch name {
        case "reportID": reportID
        case "summary": summary
        case "account": account
        case "facts": facts
        case "summaryShort": summaryShort
        case "hasBest": bestID != nil
        case "bestID": bestID
        case "bestStatement": bestStatement
        case "bestBadge": bestBadge
        case "confident": confident
        case "hasOthers": !others.isEmpty
        case "others": others
        default: nil
        }
    }
}
