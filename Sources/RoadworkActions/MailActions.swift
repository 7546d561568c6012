import Foundation
import RoadworkDomain
import RoadworkStore

/// What a click on a "was it helpful?" link in a mail did.
public enum MailFeedbackOutcome: Sendable {
    case recorded(helpful: Bool)
    /// This mail's link was used before; the first answer stands.
    case alreadyAnswered(helpful: Bool)
}

extension Actions {
    /// The signed-in person's mail preferences.
    public func mailPreferences(by identity: Identity) async throws -> MailPreferences {
        try await change(by: identity) { try $0.mailPreferences(userID: identity.userID) }
    }

    /// Turns kinds of mail on or off for the signed-in person (`{"digest": false, …}`).
    public func setMailPreferences(by identity: Identity, _ changes: [String: Any]) async throws -> MailPreferences {
        let valid = try MailPreferences.validate(changes)
        return try await change(by: identity) { try $0.setMailPreferences(userID: identity.userID, valid) }
    }

    /// Turns off the kind of mail a link came in, for the person it was sent to (the link is their credential).
    public func unsubscribe(_ link: MailLink) async throws -> MailPreferences {
        try await database.tenant(link.orgID, actor: link.userID) { store in
            guard !link.kind.isEssential else { return try store.mailPreferences(userID: link.userID) }
            return try store.setMailPreferences(userID: link.userID, [link.kind: false])
        }
    }

    /// Records a rep's verdict on shipped content from the mail that announced it: one answer per mail, the first stands.
    public func giveFeedbackFromMail(_ link: MailLink, helpful: Bool) async throws -> MailFeedbackOutcome {
        guard link.kind == .contentShipped, let contentID = link.objectID else { throw DomainError.notFound("content item") }
        return try await database.tenant(link.orgID, actor: link.userID) { store in
            if let earlier = try store.feedbackVerdict(contentID: contentID, userID: link.userID, since: link.createdAt) {
                return .alreadyAnswered(helpful: earlier)
            }
            _ = try store.addFeedback(contentID: contentID, helpful: helpful, account: nil, comment: nil)
            return .recorded(helpful: helpful)
        }
    }

    /// Sends a password-reset link to the email if it belongs to an active person; answers the same either way.
    public func requestPasswordReset(email: String?) async throws {
        var check = Validator()
        let email = check.text(email, field: "email", max: 254)
        try check.finish()
        try await database.requestPasswordReset(email: email!, token: SessionToken.generate())
    }

    /// Sets a new password from a reset or invitation link, once; returns the person's email (to sign in with).
    public func choosePassword(token: String?, password: String?) async throws -> String {
        var check = Validator()
        let password = check.password(password, field: "password")
        try check.finish()
        guard let token = try await database.passwordToken(token ?? "") else {
            throw DomainError.conflict("this link has been used or has expired; ask for a new one")
        }
        let hash = try await database.passwords.hashOffLoop(password!)
        try await database.tenant(token.orgID, actor: token.userID) { try $0.redeemPasswordToken(token, passwordHash: hash) }
        return token.email
    }
}
