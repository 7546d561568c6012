import Foundation

/// The domain events a change announces (one per change, written to the outbox in the change's transaction), and the ones
/// a webhook endpoint may ask for.
public enum DomainEventType {
    /// Types a webhook endpoint may subscribe to; `wall.emerging` is announced by the webhook worker when an objection
    /// first meets the emerging-wall rule, `webhook.test` by "send test event".
    public static let subscribable: [String] = [
        "report.filed", "report.triaged", "wall.emerging",
        "objection.created", "objection.updated", "objection.merged",
        "content.created", "content.updated", "content.status_changed", "content.published", "content.feedback",
        "review.opened", "review.lineup_changed", "review.signed", "review.applied",
        "focus_item.created", "focus_item.updated", "settings.updated",
        "synonyms.created", "synonyms.updated", "synonyms.deleted",
    ]
    public static let test = "webhook.test"
}

/// What an API token may do: read only, or read and write.
public enum TokenScope: String, Codable, Sendable, CaseIterable {
    case read
    case write
}

/// An API token as lists show it; the secret itself is shown once, when it is made.
public struct ApiToken: Sendable, Equatable, Codable {
    public let id: UUID
    public let userID: UUID
    public let name: String
    /// The token's first characters ("rw_pat_AbCd"), so a person can tell their tokens apart.
    public let displayPrefix: String
    public let scope: TokenScope
    public let expiresAt: Date?
    public let lastUsedAt: Date?
    public let revokedAt: Date?
    public let createdAt: Date

    public init(id: UUID, userID: UUID, name: String, displayPrefix: String, scope: TokenScope, expiresAt: Date?, lastUsedAt: Date?,
                revokedAt: Date?, createdAt: Date) {
        self.id = id
        self.userID = userID
        self.name = name
        self.displayPrefix = displayPrefix
        self.scope = scope
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
        self.createdAt = createdAt
    }
}

/// A token to make: a name, a scope, and optionally when it stops working.
public struct NewApiToken: Sendable, Equatable {
    public let name: String
    public let scope: TokenScope
    public let expiresAt: Date?

    /// `expiresInDays` (1–3650) from now; without it the token never expires.
    public static func validate(name: String?, scope: String?, expiresInDays: Int?, now: Date = Date())
        throws(ValidationError) -> NewApiToken {
        var check = Validator()
        let name = check.text(name, field: "name", max: 100)
        let scope = TokenScope(rawValue: scope ?? "write")
        if scope == nil { check.fail("scope", "must be read or write") }
        var expiry: Date?
        if let days = expiresInDays {
            if (1...3650).contains(days) { expiry = now.addingTimeInterval(Double(days) * 86_400) }
            else { check.fail("expires_in_days", "must be between 1 and 3650") }
        }
        try check.finish()
        return NewApiToken(name: name!, scope: scope!, expiresAt: expiry)
    }
}

/// A service account: a user an integration acts as, with a role and no password.
public struct NewServiceAccount: Sendable, Equatable {
    public let name: String
    public let role: Role

    public static func validate(name: String?, role: String?) throws(ValidationError) -> NewServiceAccount {
        var check = Validator()
        let name = check.text(name, field: "name", max: 200)
        let role = check.role(role, field: "role")
        try check.finish()
        return NewServiceAccount(name: name!, role: role!)
    }
}

/// How a webhook body is written: Roadwork's event JSON, or a Slack incoming-webhook message.
public enum WebhookFormat: String, Codable, Sendable, CaseIterable {
    case json
    case slack
}

/// A registered webhook endpoint as admins see it (the secret is shown when it is made).
public struct WebhookEndpoint: Sendable, Equatable, Codable {
    public let id: UUID
    public let url: String
    public let description: String
    public let eventTypes: [String]
    public let format: WebhookFormat
    public let enabled: Bool
    public let disabledReason: String?
    public let failingSince: Date?
    public let failures: Int
    public let version: Int
    public let createdAt: Date
    public let updatedAt: Date

    public init(id: UUID, url: String, description: String, eventTypes: [String], format: WebhookFormat, enabled: Bool,
                disabledReason: String?, failingSince: Date?, failures: Int, version: Int, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.url = url
        self.description = description
        self.eventTypes = eventTypes
        self.format = format
        self.enabled = enabled
        self.disabledReason = disabledReason
        self.failingSince = failingSince
        self.failures = failures
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// An endpoint's settings as given (all of them to create, any of them to change).
public struct WebhookSettings: Sendable, Equatable {
    public var url: String?
    public var description: String?
    public var eventTypes: [String]?
    public var format: WebhookFormat?
    public var enabled: Bool?

    public init(url: String? = nil, description: String? = nil, eventTypes: [String]? = nil, format: WebhookFormat? = nil, enabled: Bool? = nil) {
        self.url = url
        self.description = description
        self.eventTypes = eventTypes
        self.format = format
        self.enabled = enabled
    }

    /// An endpoint URL: http(s), a host name whose last label starts with a letter (openapi.yaml's pattern) or an address
    /// (which only an operator who allows private targets accepts), an optional port, a path of URL characters.
    nonisolated(unsafe) static let urlShape = try! Regex(
        #"^[Hh][Tt][Tt][Pp][Ss]?://(([A-Za-z0-9-]+\.)*[A-Za-z][A-Za-z0-9-]*|[0-9.]+|\[[0-9A-Fa-f:.]+\])(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?(/([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?$"#)

    /// Checks the given fields; `creating` requires a URL and event types. Whether the URL's host is a public address is
    /// checked where names can be resolved (the HTTP layer), before anything is stored.
    public static func validate(url: String?, description: String?, eventTypes: [String]?, format: String?, enabled: Bool?,
                                creating: Bool) throws(ValidationError) -> WebhookSettings {
        var check = Validator()
        var settings = WebhookSettings(enabled: enabled)
        if let url = url ?? (creating ? "" : nil) {
            let text = url.trimmed
            if text.unicodeScalars.count <= 2000, (try? Self.urlShape.wholeMatch(in: text)) != nil, URL(string: text)?.host != nil {
                settings.url = text
            } else {
                check.fail("url", "must be an http or https URL with a host and no credentials, at most 2000 characters")
            }
        }
        if let description { settings.description = check.optionalText(description, field: "description", max: 200) ?? "" }
        if let types = eventTypes ?? (creating ? [] : nil) {
            var kept: [String] = []
            for type in types where !kept.contains(type) {
                if DomainEventType.subscribable.contains(type) { kept.append(type) }
                else { check.fail("event_types", "has an unknown event type: \(type)") }
            }
            if kept.isEmpty { check.fail("event_types", "must name at least one event type") }
            settings.eventTypes = kept
        }
        if let format {
            settings.format = WebhookFormat(rawValue: format)
            if settings.format == nil { check.fail("format", "must be json or slack") }
        } else if creating {
            settings.format = .json
        }
        try check.finish()
        return settings
    }
}

/// One event owed to one endpoint, as the delivery log shows it.
public struct WebhookDelivery: Sendable, Equatable, Codable {
    public let id: UUID
    public let eventID: UUID
    public let eventType: String
    public let state: String
    public let attempts: Int
    public let createdAt: Date
    public let lastAttemptAt: Date?
    public let deliveredAt: Date?
    public let lastStatus: Int?
    public let lastLatencyMs: Int?
    public let lastResponse: String?
    public let lastError: String?

    public init(id: UUID, eventID: UUID, eventType: String, state: String, attempts: Int, createdAt: Date, lastAttemptAt: Date?,
                deliveredAt: Date?, lastStatus: Int?, lastLatencyMs: Int?, lastResponse: String?, lastError: String?) {
        self.id = id
        self.eventID = eventID
        self.eventType = eventType
        self.state = state
        self.attempts = attempts
        self.createdAt = createdAt
        self.lastAttemptAt = lastAttemptAt
        self.deliveredAt = deliveredAt
        self.lastStatus = lastStatus
        self.lastLatencyMs = lastLatencyMs
        self.lastResponse = lastResponse
        self.lastError = lastError
    }
}
