import Foundation
import Hummingbird
import NIOCore
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// Filing a report (rep first, phone first).
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
            if form.nonEmpty("objection_id") != nil && objectionID == nil { errors["objection_id"] = "This is not one of the listed objections." }
            do {
                guard errors.isEmpty else { throw ValidationError(errors.map { FieldError(field: $0.key, message: $0.value) }) }
                let draft = ReportDraft(summary: form["summary"], account: form["account"], dealAmount: amount, stage: form["stage"],
                                        competitor: form["competitor"], persona: form["persona"], industry: form["industry"],
                                        product: form["product"], occurredOn: form["occurred_on"], objectionID: objectionID)
                // The form's idempotency key makes a double tap (or a resubmitted page) file once.
                let fingerprint = Self.fields.map { "\($0)=\(values[$0] ?? "")" }.joined(separator: "&")
                let once = form.nonEmpty("idempotency_key").map { IdempotentRequest(key: "form:" + $0, fingerprint: fingerprint) }
                switch try await web.actions.file(by: identity, draft, idempotency: once, answer: { (303, $0.report.id.uuidString) }) {
                case .filed:
                    return Web.redirect("/", done: "Report filed. Thank you!")
                case .replayed:
                    return Web.redirect("/", done: "This report was already filed; it was not filed twice.")
                case .keyReused:
                    // The same form sent again with other text: nothing is filed; the text stays, with a fresh key to send it.
                    values["idempotency_key"] = UUID().uuidString
                    errors["form"] = "This form was already sent with different text, so nothing was filed now. Check the report and send it again."
                    return try await self.form(request, identity: identity, values: values, errors: errors, status: .conflict)
                }
            } catch let error as ValidationError {
                for item in error.errors { errors[item.field] = errors[item.field] ?? "This \(item.message)." }
                return try await self.form(request, identity: identity, values: values, errors: errors, status: .unprocessableContent)
            }
        }
    }

    private func form(_ request: Request, identity: Identity, values: [String: String], errors: [String: String],
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        let objections = try await web.database.tenant(identity, mayLag: false) { try $0.objections(status: .open, obstacleID: nil, query: nil, after: nil, limit: 200) }
        var all: [String: Any] = values
        all["errors"] = errors
        all["key"] = values["idempotency_key"].flatMap { $0.isEmpty ? nil : $0 } ?? UUID().uuidString
        all["today"] = Day.today().description
        all["objections"] = objections.map { ["id": $0.id.lowercasedText, "statement": $0.statement,
                                              "selected": values["objection_id"] == $0.id.lowercasedText] as [String: Any] }
        all["stages"] = BuyingStage.allCases.map { ["value": $0.rawValue, "label": spaced($0.rawValue),
                                                    "selected": values["stage"] == $0.rawValue] as [String: Any] }
        return web.page(.report_new, title: "File a report", identity: identity, request: request, values: all, status: status)
    }
}
