import Foundation

/// The signed-in person (or integration) behind a request, and the organization every query is scoped to.
public struct Identity: Sendable, Equatable {
    /// The browser or API session, when signed in with a password; nil for an API token.
    public let sessionID: UUID?
    /// The API token used, when not a session.
    public let tokenID: UUID?
    public let userID: UUID
    public let orgID: UUID
    public let email: String
    public let name: String
    public let role: Role
    public let organizationName: String
    /// A read-only token may look but not change anything (403 on writes).
    public let scope: TokenScope

    public init(sessionID: UUID?, tokenID: UUID? = nil, userID: UUID, orgID: UUID, email: String, name: String, role: Role,
                organizationName: String, scope: TokenScope = .write) {
        self.sessionID = sessionID
        self.tokenID = tokenID
        self.userID = userID
        self.orgID = orgID
        self.email = email
        self.name = name
        self.role = role
        self.organizationName = organizationName
        self.scope = scope
    }
}
