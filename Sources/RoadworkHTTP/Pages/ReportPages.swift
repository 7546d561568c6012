import Foundation
import Hummingbird
import NIOCore
import RoadworkDomain
import RoadworkStore

/// Filing a report (rep first, phone first) and the triage inbox.
struct ReportPages {
    let web: Web

    static let fields = ["summary", "account", "deal_amount", "stage", "competitor", "persona", "industry", "product", "occurred_on", "objection_id"]

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("reports/new") { request, _ in
            let identity = try await web.identity(request)
            return try await form(request, identity: identity, values: ["occurred_on": Day.today().description], errors: [:])
        }
        router.post("reports") { request, context in
            let identity = try await web.identity(request)
            let form = try await web.form(request, context: context)
            var values: [String: String] = [:]
            for field in Self.fields + ["idempotency_key"] { values[field] = form[field] ?? "" }
            var errors: [String: String] = [:]
            let amount: Double?
            if let text = form.nonEmpty("deal_amount") {
                amount = Double(text.replacingOccurrences(of: ",", with: ""))
                if amount == nil { errors["deal_amount"] = "must be a number" }
            } else { amount = nil }
            let objectionID = form.nonEmpty("objection_id").flatMap(UUID.init(uuidString:))
            do {
                guard errors.isEmpty else { throw ValidationError(errors.map { FieldError(field: $0.key, message: $0.value) }) }
                let report = try NewFieldReport.validate(
                    summary: form["summary"], account: form["account"], dealAmount: amount, stage: form["stage"],
                    competitor: form["competitor"], persona: form["persona"], industry: form["industry"], product: form["product"],
                    occurredOn: form["occurred_on"], objectionID: objectionID, today: Day.today())
                // The form's idempotency key makes a double tap (or a resubmitted page) file once.
                let key = form.nonEmpty("idempotency_key")
                let fingerprint = Self.fields.map { "\($0)=\(values[$0] ?? "")" }.joined(separator: "&")
                try await web.database.tenant(identity) { store in
                    if let key {
                        switch try store.claimIdempotencyKey("form:" + key, requestHash: fingerprint) {
                        case .replay, .mismatch: return
                        case .fresh: break
                        }
                    }
                    let filed = try store.fileReport(report).report
                    if let key { store.recordIdempotentResponse("form:" + key, status: 303, body: filed.id.uuidString) }
                }
                return Web.redirect("/", done: "Report filed. Thank you!")
            } catch let error as ValidationError {
                for item in error.errors { errors[item.field] = errors[item.field] ?? "This \(item.message)." }
                return try await self.form(request, identity: identity, values: values, errors: errors, status: .unprocessableContent)
            }
        }
        router.get("triage") { request, _ in
            let identity = try await web.identity(request, as: Roles.planners)
            let values = try await web.read(identity) { store -> [String: Any] in
                let reports = try store.reports(ReportFilter(triaged: false), after: nil, limit: 50)
                let open = try store.objections(status: .open, obstacleID: nil, query: nil, after: nil, limit: 200)
                let openRows = open.map { ["id": $0.id.lowercasedText, "statement": $0.statement] }
                return [
                    "count": reports.count,
                    "open": openRows,
                    "reports": try reports.map { report -> [String: Any] in
                        let suggested = try store.similarObjections(to: report.summary, limit: 3)
                        let suggestedIDs = Set(suggested.map(\.objection.id))
                        return present(["id": report.id.lowercasedText, "summary": report.summary, "account": report.account,
                                "day": report.occurredOn.description, "amount": report.dealAmount.map { "$\($0)" } as Any,
                                "summaryShort": String(report.summary.prefix(300)),
                                "suggested": suggested.map { ["id": $0.objection.id.lowercasedText, "statement": $0.objection.statement,
                                                              "similarity": String(format: "%.0f%% alike", $0.similarity * 100)] },
                                "all": open.filter { !suggestedIDs.contains($0.id) }.map { ["id": $0.id.lowercasedText, "statement": $0.statement] }])
                    },
                ]
            }
            return web.page("triage", title: "Triage", identity: identity, request: request, values: values)
        }
        router.post("triage/:id") { request, context in
            let identity = try await web.identity(request, as: Roles.planners)
            let form = try await web.form(request, context: context)
            let id = try request.uuidParameter("id", context: context, what: "report")
            let objectionID = form.nonEmpty("objection_id").flatMap(UUID.init(uuidString:))
            let new = try form.nonEmpty("statement").map { try NewObjection.validate(statement: $0, obstacleID: nil) }
            guard objectionID != nil || new != nil else { return Web.redirect("/triage", done: "Pick an objection or write a new one.") }
            _ = try await web.database.tenant(identity) { store in
                try store.triageReport(id: id, objectionID: new == nil ? objectionID : nil, newObjection: new, scoring: try store.scoring()).id
            }
            return Web.redirect("/triage", done: "Report triaged.")
        }
        router.post("objections/merge") { request, context in
            let identity = try await web.identity(request, as: Roles.planners)
            let form = try await web.form(request, context: context)
            guard let source = form["source"].flatMap(UUID.init(uuidString:)), let into = form["into"].flatMap(UUID.init(uuidString:)) else {
                return Web.redirect("/triage", done: "Pick two objections to merge.")
            }
            do {
                _ = try await web.database.tenant(identity) { store in try store.mergeObjection(source, into: into, scoring: try store.scoring()).id }
                return Web.redirect("/triage", done: "Objections merged.")
            } catch let error as ValidationError {
                return Web.redirect("/triage", done: "Not merged: \(error.errors.first?.message ?? "invalid").")
            }
        }
    }

    private func form(_ request: Request, identity: Identity, values: [String: String], errors: [String: String],
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        let objections = try await web.database.tenant(identity) { try $0.objections(status: .open, obstacleID: nil, query: nil, after: nil, limit: 200) }
        var all: [String: Any] = values
        all["errors"] = errors
        all["key"] = values["idempotency_key"].flatMap { $0.isEmpty ? nil : $0 } ?? UUID().uuidString
        all["today"] = Day.today().description
        all["objections"] = objections.map { ["id": $0.id.lowercasedText, "statement": $0.statement,
                                              "selected": values["objection_id"] == $0.id.lowercasedText] as [String: Any] }
        all["stages"] = BuyingStage.allCases.map { ["value": $0.rawValue, "label": $0.rawValue.replacingOccurrences(of: "_", with: " "),
                                                    "selected": values["stage"] == $0.rawValue] as [String: Any] }
        return web.page("report_new", title: "File a report", identity: identity, request: request, values: all, status: status)
    }
}
