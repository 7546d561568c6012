import RoadworkDomain
import RoadworkStore

extension Actions {
    /// Records how a reported deal ended. A rep records the deals they reported; heads, marketers and admins any.
    public func recordDealOutcome(by identity: Identity, account: String?, outcome: String?, amount: Double?) async throws -> DealOutcome {
        let new = try NewDealOutcome.validate(account: account, outcome: outcome, amount: amount)
        return try await change(by: identity) { try $0.recordOutcome(new, reporterID: identity.role == .rep ? identity.userID : nil) }
    }
}
