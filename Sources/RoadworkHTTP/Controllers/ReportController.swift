import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// Field reports: filed by anyone, triaged by marketers and heads.
struct ReportController {
    let database: Database
    let actions: Actions

    struct CreateBody: Decodable, NullableFields {
        static let nullable: Set<String> = ["deal_amount", "stage", "competitor", "persona", "industry", "product", "occurred_on", "objection_id"]
        let summary: String?
        let account: String?
        let dealAmount: Double?
        let stage: String?
        let competitor: String?
        let persona: String?
        let industry: String?
        let product: String?
        let occurredOn: String?
        let objectionId: UUID?
    }

    struct Filed: JSONWritable {
        let report: FieldReport
        let similar: [ObjectionController.Similar]

        func writeJSON(to json: inout JSONOutput) throws {
            try json.object { json in
                try json.field("report", report)
                try json.field("similar", similar)
            }
        }
    }

    struct TriageBody: Decodable {
        struct NewObjectionBody: Decodable {
            let statement: String?
            let obstacleId: UUID?
        }
        let objectionId: UUID?
        let newObjection: NewObjectionBody?
    }

    /// `filing` is behind `SessionTokenMiddleware`: filing, the hot write path, looks its session up in its own transaction.
    func addRoutes(to api: RouterGroup<AppRequestContext>, filing: RouterGroup<AppRequestContext>) {
        filing.post("reports", use: create)
        api.get("reports", use: list)
        api.get("reports/:id", use: show)
        api.post("reports/:id/triage", use: triage)
    }

    @Sendable func create(request: Request, context: AppRequestContext) async throws -> Response {
        let token = try context.token()
        let buffer = try await request.collectBody(context: context)
        let key = request.headers[.idempotencyKey]?.trimmed
        let today = Day.today()
        // Everything after the session lookup runs in its transaction, so a request without a valid session gets its 401
        // before any complaint about its body.
        let outcome = try await database.tenant(authenticating: token) { identity, store -> (Int, String) in
            try AuthenticationMiddleware.checkScope(identity, request)
            if let key, key.isEmpty || key.count > 200 {
                throw Problem.invalid([.init(field: "Idempotency-Key", message: "must be 1 to 200 characters")])
            }
            let body = try Request.decodeJSON(CreateBody.self, from: buffer)
            let draft = ReportDraft(summary: body.summary, account: body.account, dealAmount: body.dealAmount, stage: body.stage,
                                    competitor: body.competitor, persona: body.persona, industry: body.industry, product: body.product,
                                    occurredOn: body.occurredOn, objectionID: body.objectionId)
            // The same key with the same body (compared as canonical JSON, so key order and spacing do not matter) replays.
            let request = key.map { IdempotentRequest(key: $0, fingerprint: Self.canonical(Data(buffer: buffer))) }
            switch try store.file(draft, today: today, idempotency: request, similarLimit: 5, answer: { (201, try Self.answer($0)) }) {
            case .filed(let filed): return (201, try Self.answer(filed))
            case .replayed(let status, let body): return (status, body)
            case .keyReused: throw Problem.invalid([.init(field: "Idempotency-Key", message: "was already used with a different request")])
            }
        }
        guard let outcome else { throw Problem.unauthorized() }
        return Response(status: .init(code: outcome.0), headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: outcome.1)))
    }

    /// The 201 body: the report and the objections it reads like.
    static func answer(_ filed: FiledReport) throws -> String {
        let similar = filed.similar.map { ObjectionController.Similar(objection: $0.objection, similarity: $0.similarity) }
        return String(decoding: try JSONWriter.encode(Filed(report: filed.report, similar: similar)), as: UTF8.self)
    }

    /// The body as sorted-key JSON.
    static func canonical(_ data: Data) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
              let sorted = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed]) else {
            return String(decoding: data, as: UTF8.self)
        }
        return String(decoding: sorted, as: UTF8.self)
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        if request.wantsCSV { return try await CSVExport(database: database).response(.reports, request: request, identity: identity) }
        let page = try Page(request)
        let cursor = try page.timeCursor
        let filter = try ListFilters.reports(request, identity: identity)
        let reports = try await database.tenant(identity, mayLag: true) { try $0.reports(filter, after: cursor, limit: page.limit + 1) }
        return try Response.json(ListResponse(fetched: reports, limit: page.limit) { Page.timeKey($0.createdAt, $0.id) })
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        let id = try request.uuidParameter("id", context: context, what: "report")
        guard let report = try await database.tenant(identity, { try $0.report(id: id) }),
              identity.role != .rep || report.reporterID == identity.userID else { throw Problem.notFound("report") }
        return try Response.json(report)
    }

    @Sendable func triage(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: Roles.planners)
        let id = try request.uuidParameter("id", context: context, what: "report")
        let body = try await request.decodeJSON(TriageBody.self, context: context)
        let report = try await actions.triage(by: identity, reportID: id, objectionID: body.objectionId,
                                              newObjection: body.newObjection.map { ObjectionDraft(statement: $0.statement, obstacleID: $0.obstacleId) })
        return try Response.json(report)
    }
}

extension HTTPField.Name {
    static var idempotencyKey: Self { Self("Idempotency-Key")! }
}
