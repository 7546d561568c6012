import Foundation
import RoadworkDomain
import RoadworkStore

extension Actions {
    /// Changes how the backlog scores: the half-life of a report's weight and the deal size that counts as one.
    public func updateSettings(by identity: Identity, halfLifeDays: Double?, referenceDealSize: Double?, expectedVersion: Int?) async throws -> Organization {
        var check = Validator()
        // A half-life under a day would zero every score by the next morning; the bounds are openapi.yaml's.
        if let days = halfLifeDays, !(days.isFinite && days >= 1 && days <= 3650) {
            check.fail("half_life_days", "must be from 1 to 3650 days")
        }
        if let size = referenceDealSize, !(size.isFinite && size >= 1 && size <= 1e12) {
            check.fail("reference_deal_size", "must be from 1 to 1,000,000,000,000")
        }
        try check.finish()
        return try await change(by: identity) {
            try $0.updateSettings(halfLifeDays: halfLifeDays, referenceDealSize: referenceDealSize, expectedVersion: expectedVersion)
        }
    }

    /// Marks one of the person's own notifications read.
    public func markNotificationRead(by identity: Identity, id: UUID) async throws {
        try await change(by: identity) { try $0.markNotificationRead(id: id) }
    }

    /// Adds a person to the organization with a role and a first password, or invites them: a mail with a week-long link
    /// to choose their own password, queued in the same transaction.
    public func createUser(by identity: Identity, email: String?, name: String?, role: String?, password: String?,
                           invite: Bool = false) async throws -> User {
        let new = try NewUser.validate(email: email, name: name, role: role, password: password, invite: invite)
        // An invited person's password until they choose one: random, never told to anyone.
        let hash = try await database.passwords.hashOffLoop(new.password ?? SessionToken.generate())
        let link = invite ? SessionToken.generate() : nil
        return try await change(by: identity) { store in
            let user = try store.createUser(new, passwordHash: hash)
            if let link { try store.queueInvitation(userID: user.id, email: user.email, token: link) }
            return user
        }
    }

    /// Renames a person, changes their role or password, deactivates or reactivates them; an admin cannot demote or
    /// deactivate themselves.
    public func editUser(by identity: Identity, id: UUID, name: String?, role: String?, active: Bool?, password: String?,
                         expectedVersion: Int?) async throws -> User {
        let changes = try UserChanges.validate(name: name, role: role, active: active, password: password, isSelf: id == identity.userID)
        var hash: String?
        if let password = changes.password { hash = try await database.passwords.hashOffLoop(password) }
        return try await change(by: identity) { [hash] in
            try $0.updateUser(id: id, changes: changes, passwordHash: hash, expectedVersion: expectedVersion)
        }
    }

    /// Checks an email and password and opens a session (see `Database.signIn`).
    public func signIn(email: String?, password: String?, address: String?, userAgent: String? = nil, throttle: SignInThrottle) async throws -> SignInResult {
        var check = Validator()
        let email = check.text(email, field: "email", max: 254)
        if (password ?? "").isEmpty { check.fail("password", "is required") }
        try check.finish()
        return try await database.signIn(email: email!, password: password!, address: address, userAgent: userAgent, throttle: throttle)
    }

    /// Ends the session the person is signed in with. An API token is revoked on its own, not by signing out.
    public func signOut(by identity: Identity) async throws {
        guard let session = identity.sessionID else { return }
        try await change(by: identity) { try $0.endSession(id: session, of: identity.userID) }
    }

    /// Where the person is signed in: their open sessions, newest first.
    public func sessions(of identity: Identity) async throws -> [SignedInSession] {
        try await database.tenant(identity) { try $0.sessions(of: identity.userID) }
    }

    /// Ends one of the person's own sessions (a phone left somewhere); another person's is not found. The session asking
    /// is a conflict: ending it is signing out.
    public func endSession(by identity: Identity, id: UUID) async throws {
        if id == identity.sessionID { throw DomainError.conflict("this is the session you are using; sign out instead") }
        try await change(by: identity) { store in
            guard try store.endSession(id: id, of: identity.userID) else { throw DomainError.notFound("session") }
        }
    }

    /// Signs the person out everywhere: every open session ends, this one included. API tokens stay (they are revoked
    /// one by one on their own page). The number of sessions ended.
    public func signOutEverywhere(by identity: Identity) async throws -> Int {
        try await change(by: identity) { try $0.endSessions(of: identity.userID) }
    }
}
