import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// Mail over the API: each person's preferences, the organization's mail log for admins, and password resets (which
/// need no sign-in).
struct MailController {
    let database: Database
    let actions: Actions

    struct ResetBody: Decodable {
        let email: String?
    }

    struct ChooseBody: Decodable {
        let token: String?
        let password: String?
    }

    func addRoutes(to api: RouterGroup<AppRequestContext>, public open: RouterGroup<AppRequestContext>) {
        api.get("me/mail-preferences", use: preferences)
        api.patch("me/mail-preferences", use: setPreferences)
        api.get("mail", use: log)
        open.post("password-reset", use: requestReset)
        open.post("password-reset/confirm", use: choosePassword)
    }

    @Sendable func preferences(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        return try Response.json(try await actions.mailPreferences(by: identity))
    }

    /// `{"digest": false, …}`: only the kinds named change.
    @Sendable func setPreferences(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        let data = Data(buffer: try await request.collectBody(context: context))
        // A plain decoder: the keys are kinds of mail, kept as written.
        let changes: [String: Flag]
        do {
            changes = try JSONDecoder().decode([String: Flag].self, from: data)
        } catch {
            guard (try? JSONSerialization.jsonObject(with: data)) != nil else {
                throw Problem(status: .badRequest, detail: data.isEmpty ? "The request needs a JSON body." : "The body is not valid JSON.")
            }
            throw Problem.invalid([FieldError(field: "body", message: "must be an object of kinds of mail to true or false")])
        }
        return try Response.json(try await actions.setMailPreferences(by: identity, changes.mapValues { $0.value }))
    }

    /// A preference's value as sent: a boolean, or anything else (refused by the validation, naming the field).
    enum Flag: Decodable {
        case flag(Bool)
        case other

        init(from decoder: any Decoder) throws {
            self = (try? decoder.singleValueContainer().decode(Bool.self)).map(Flag.flag) ?? .other
        }

        var value: Any {
            switch self {
            case .flag(let flag): flag
            case .other: "not a boolean"
            }
        }
    }

    /// The organization's mail, newest first (admins).
    @Sendable func log(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: [.admin])
        let page = try Page(request)
        let cursor = try page.timeCursor
        let fetched = try await database.tenant(identity) { try $0.mailLog(before: cursor, limit: page.limit + 1) }
        return try Response.json(ListResponse(fetched: fetched, limit: page.limit) { Page.timeKey($0.createdAt, $0.id) })
    }

    /// Always 202: whether the email belongs to anyone is not told.
    @Sendable func requestReset(request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(ResetBody.self, context: context)
        try await actions.requestPasswordReset(email: body.email)
        return Response(status: .accepted)
    }

    @Sendable func choosePassword(request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(ChooseBody.self, context: context)
        _ = try await actions.choosePassword(token: body.token, password: body.password)
        return Response(status: .noContent)
    }
}

