import Foundation
import RoadworkDomain
import RoadworkStore

extension Actions {
    /// Makes a personal API token for the signed-in person; the secret is in the answer only.
    public func makePersonalToken(by identity: Identity, name: String?, scope: String?, expiresInDays: Int?) async throws -> MadeToken {
        let new = try NewApiToken.validate(name: name, scope: scope, expiresInDays: expiresInDays)
        return try await change(by: identity) { try $0.makeToken(new, for: identity.userID, service: false) }
    }

    /// Makes a token for one of the organization's service accounts.
    public func makeServiceToken(by identity: Identity, accountID: UUID, name: String?, scope: String?, expiresInDays: Int?) async throws -> MadeToken {
        let new = try NewApiToken.validate(name: name, scope: scope, expiresInDays: expiresInDays)
        return try await change(by: identity) { store in
            guard try store.serviceAccount(id: accountID) != nil else { throw DomainError.notFound("service account") }
            return try store.makeToken(new, for: accountID, service: true)
        }
    }

    /// Revokes a token: one's own, or (for an admin) any of the organization's, such as a leaked one. Every server process
    /// refuses it from its next request.
    public func revokeToken(by identity: Identity, id: UUID) async throws -> ApiToken {
        try await change(by: identity) { store in
            guard let token = try store.token(id: id), token.userID == identity.userID || identity.role == .admin else {
                throw DomainError.notFound("token")
            }
            return try store.revokeToken(id: id)
        }
    }

    /// Adds a service account: a user with a role and no password, for an integration's tokens.
    public func createServiceAccount(by identity: Identity, name: String?, role: String?) async throws -> User {
        let new = try NewServiceAccount.validate(name: name, role: role)
        return try await change(by: identity) { try $0.createServiceAccount(new) }
    }

    /// Registers a webhook endpoint; its signing secret is in the answer only.
    public func registerWebhook(by identity: Identity, url: String?, description: String?, eventTypes: [String]?, format: String?,
                                enabled: Bool?) async throws -> RegisteredEndpoint {
        let settings = try await WebhookTarget.checked(url: url, description: description, eventTypes: eventTypes, format: format,
                                                       enabled: enabled, creating: true, allowPrivate: allowPrivateTargets)
        return try await change(by: identity) { try $0.registerEndpoint(settings) }
    }

    /// Changes an endpoint's URL, description, events, format or enabled flag (enabling clears its failure record).
    public func editWebhook(by identity: Identity, id: UUID, url: String?, description: String?, eventTypes: [String]?, format: String?,
                            enabled: Bool?, expectedVersion: Int?) async throws -> WebhookEndpoint {
        let settings = try await WebhookTarget.checked(url: url, description: description, eventTypes: eventTypes, format: format,
                                                       enabled: enabled, creating: false, allowPrivate: allowPrivateTargets)
        return try await change(by: identity) { try $0.updateEndpoint(id: id, settings, expectedVersion: expectedVersion) }
    }

    /// Deletes an endpoint and its delivery log.
    public func deleteWebhook(by identity: Identity, id: UUID) async throws {
        try await change(by: identity) { try $0.deleteEndpoint(id: id) }
    }

    /// Queues a `webhook.test` event for one endpoint; returns the event's id.
    public func sendTestEvent(by identity: Identity, endpointID: UUID) async throws -> UUID {
        try await change(by: identity) { try $0.sendTestEvent(endpointID: endpointID) }
    }

    /// Queues one logged delivery again, as a fresh attempt.
    public func redeliver(by identity: Identity, endpointID: UUID, deliveryID: UUID) async throws -> WebhookDelivery {
        try await change(by: identity) { try $0.redeliver(endpointID: endpointID, deliveryID: deliveryID) }
    }
}
