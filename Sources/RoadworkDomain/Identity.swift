import Foundation

/// The signed-in person behind a request, and the organization every query is scoped to.
public struct Identity: Sendable, Equatable {
    public let sessionID: UUID
    public let userID: UUID
    public let orgID: UUID
    public let email: String
    public let name: String
    public let role: Role
    public let organizationName: String

    public init(sessionID: UUID, userID: UUID, orgID: UUID, email: String, name: String, role: Role, organizationName: String) {
        self.sessionID = sessionID
        self.userID = userID
        self.orgID = orgID
        self.email = email
        self.name = name
        self.role = role
        self.organizationName = organizationName
    }
}
