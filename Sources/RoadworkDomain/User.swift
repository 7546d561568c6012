import Foundation

/// A person who signs in to one organization.
public struct User: Sendable, Equatable, Codable {
    public let id: UUID
    public let orgID: UUID
    public let email: String
    public let name: String
    public let role: Role
    public let active: Bool
    public let version: Int
    public let createdAt: Date

    public init(id: UUID, orgID: UUID, email: String, name: String, role: Role, active: Bool, version: Int, createdAt: Date) {
        self.id = id
        self.orgID = orgID
        self.email = email
        self.name = name
        self.role = role
        self.active = active
        self.version = version
        self.createdAt = createdAt
    }
}

/// A validated request to create a user.
public struct NewUser: Sendable {
    public let email: String
    public let name: String
    public let role: Role
    /// Nil when the person is invited to choose their own.
    public let password: String?

    /// Checks every field, reporting each bad one. An invited person gets no password: they choose one from the mail.
    public static func validate(email: String?, name: String?, role: String?, password: String?, invite: Bool = false) throws(ValidationError) -> NewUser {
        var check = Validator()
        let email = check.email(email, field: "email")
        let name = check.text(name, field: "name", max: 200)
        let role = check.role(role, field: "role")
        var chosen: String?
        if invite {
            if password != nil { check.fail("password", "must be left out when inviting: the person chooses their own") }
        } else {
            chosen = check.password(password, field: "password")
        }
        try check.finish()
        return NewUser(email: email!, name: name!, role: role!, password: chosen)
    }
}

/// A validated change to a user; nil fields stay as they are.
public struct UserChanges: Sendable {
    public var name: String?
    public var role: Role?
    public var active: Bool?
    public var password: String?

    public init(name: String? = nil, role: Role? = nil, active: Bool? = nil, password: String? = nil) {
        self.name = name
        self.role = role
        self.active = active
        self.password = password
    }

    /// Checks the fields that are present; an admin may not demote or deactivate themselves (409: the request is fine,
    /// who sends it is not).
    public static func validate(name: String?, role: String?, active: Bool?, password: String?, isSelf: Bool) throws -> UserChanges {
        var check = Validator()
        var changes = UserChanges(active: active)
        if name != nil { changes.name = check.text(name, field: "name", max: 200) }
        if role != nil { changes.role = check.role(role, field: "role") }
        if password != nil { changes.password = check.password(password, field: "password") }
        try check.finish()
        if isSelf, let role = changes.role, role != .admin { throw DomainError.conflict("You cannot remove your own admin role.") }
        if isSelf, active == false { throw DomainError.conflict("You cannot deactivate yourself.") }
        return changes
    }
}
