import Foundation

/// How a deal ended: the two closed stages of `BuyingStage`.
public enum DealResult: String, Codable, Sendable, CaseIterable {
    case won = "closed_won"
    case lost = "closed_lost"
}

/// A deal's outcome as a person recorded it: one per account of an organization (recording again replaces it).
public struct DealOutcome: Sendable, Encodable {
    public let account: String
    public let outcome: DealResult
    public let amount: Decimal?
    public let recordedBy: UUID
    public let recordedAt: Date
    public let version: Int

    public init(account: String, outcome: DealResult, amount: Decimal?, recordedBy: UUID, recordedAt: Date, version: Int) {
        self.account = account
        self.outcome = outcome
        self.amount = amount
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
        self.version = version
    }
}

/// A checked outcome to record: the account as reports name it, won or lost, and the amount if it is known.
public struct NewDealOutcome: Sendable {
    public let account: String
    public let outcome: DealResult
    public let amount: Decimal?

    public static func validate(account: String?, outcome: String?, amount: Double?) throws(ValidationError) -> NewDealOutcome {
        var check = Validator()
        let account = check.text(account, field: "account", max: 200)
        let outcome = check.oneOf(outcome, field: "outcome", DealResult.self)
        var value: Decimal? = nil
        if let amount {
            if !amount.isFinite || amount < 0 || amount > 1e15 { check.fail("amount", "must be a finite number from 0 up") } else { value = Decimal(string: String(amount)) }
        }
        try check.finish()
        return NewDealOutcome(account: account!, outcome: outcome!, amount: value)
    }
}

/// Won and lost by wall: the deals (accounts) that reported a wall and how they ended. A deal's outcome is the one a
/// person recorded, else the closed stage of its latest report that has one; without either it is open. Its value is the
/// recorded amount, else the largest amount its reports of the wall gave. These are reported deals, not the CRM's pipeline.
public struct DealTally: Sendable, Encodable, Equatable {
    public let deals: Int
    public let won: Int
    public let lost: Int
    public let open: Int
    public let wonValue: Double
    public let lostValue: Double
    public let openValue: Double

    public init(deals: Int, won: Int, lost: Int, open: Int, wonValue: Double, lostValue: Double, openValue: Double) {
        self.deals = deals
        self.won = won
        self.lost = lost
        self.open = open
        self.wonValue = wonValue
        self.lostValue = lostValue
        self.openValue = openValue
    }
}

/// One of a person's reported deals, for "your deals" on the home page.
public struct ReportedDeal: Sendable, Encodable {
    public let account: String
    public let lastStage: BuyingStage?
    public let lastReportedOn: Day
    public let outcome: DealResult?

    public init(account: String, lastStage: BuyingStage?, lastReportedOn: Day, outcome: DealResult?) {
        self.account = account
        self.lastStage = lastStage
        self.lastReportedOn = lastReportedOn
        self.outcome = outcome
    }
}
