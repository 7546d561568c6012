import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// Notifications, organization settings and the audit log.
struct AccountController {
    let database: Database
    let actions: Actions

    struct SettingsBody: Decodable {
        let halfLifeDays: Double?
        let referenceDealSize: Double?
    }

    struct Settings: Encodable {
        let halfLifeDays: Double
        let referenceDealSize: Double
        let version: Int
        init(_ organization: Organization) {
            halfLifeDays = organization.halfLifeDays
            referenceDealSize = organization.referenceDealSize
            version = organization.version
        }
    }

    struct Event: Encodable {
        let id: Int64
        let actorId: UUID?
        let action: String
        let objectType: String
        let objectId: UUID?
        let before: JSONText?
        let after: JSONText?
        let at: Date
    }

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("notifications") { request, context in
            let identity = try context.signedIn()
            let page = try Page(request)
            let cursor = try page.timeCursor
            var check = Validator()
            let unread = ListFilters.flag(request, "unread", &check) ?? false
            try check.finish()
            let items = try await database.tenant(identity) { try $0.notifications(unreadOnly: unread, after: cursor, limit: page.limit + 1) }
            return try Response.json(ListResponse(fetched: items, limit: page.limit) { Page.timeKey($0.createdAt, $0.id) })
        }
        api.post("notifications/:id/read") { request, context in
            let identity = try context.signedIn()
            let id = try request.uuidParameter("id", context: context, what: "notification")
            try await actions.markNotificationRead(by: identity, id: id)
            return Response(status: .noContent)
        }
        api.get("settings") { _, context in
            let identity = try context.signedIn(as: [.admin])
            let organization = try await database.tenant(identity) { try $0.organization() }
            return try Response.json(Settings(organization), version: organization.version)
        }
        api.patch("settings") { request, context in
            let identity = try context.signedIn(as: [.admin])
            let expected = request.ifMatchVersion()
            let body = try await request.decodeJSON(SettingsBody.self, context: context)
            let organization = try await actions.updateSettings(by: identity, halfLifeDays: body.halfLifeDays,
                                                                referenceDealSize: body.referenceDealSize, expectedVersion: expected)
            return try Response.json(Settings(organization), version: organization.version)
        }
        api.get("audit") { request, context in
            let identity = try context.signedIn(as: Roles.auditors)
            if request.wantsCSV { return try await CSVExport(database: database).response(.audit, request: request, identity: identity) }
            let page = try Page(request)
            let cursor = try page.sequenceCursor
            let objectID = try ListFilters.audit(request)
            let events = try await database.tenant(identity) { try $0.auditEvents(objectID: objectID, before: cursor, limit: page.limit + 1) }
            let items = events.map { Event(id: $0.id, actorId: $0.actorID, action: $0.action, objectType: $0.objectType, objectId: $0.objectID,
                                           before: $0.before.map(JSONText.init), after: $0.after.map(JSONText.init), at: $0.at) }
            return try Response.json(ListResponse(fetched: items, limit: page.limit) { Page.sequenceKey($0.id) })
        }
    }
}

/// JSON kept as text in the database, embedded as-is in a response.
struct JSONText: Encodable {
    let value: JSONValue?
    init(_ text: String) { value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

/// Any JSON value, for passing stored JSON through.
indirect enum JSONValue: Codable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
