import Foundation

/// Where the deal stood when the wall appeared.
public enum BuyingStage: String, Codable, Sendable, CaseIterable {
    case prospecting, discovery, evaluation, proposal, negotiation
    case closedWon = "closed_won"
    case closedLost = "closed_lost"
}

/// What a rep heard in a deal.
public struct FieldReport: Sendable, Equatable, Codable {
    public let id: UUID
    public let reporterID: UUID
    public let summary: String
    public let account: String
    public let dealAmount: Decimal?
    public let stage: BuyingStage?
    public let competitor: String?
    public let persona: String?
    public let industry: String?
    public let product: String?
    public let occurredOn: Day
    public let objectionID: UUID?
    public let triagedAt: Date?
    public let createdAt: Date

    public init(id: UUID, reporterID: UUID, summary: String, account: String, dealAmount: Decimal?, stage: BuyingStage?,
                competitor: String?, persona: String?, industry: String?, product: String?, occurredOn: Day,
                objectionID: UUID?, triagedAt: Date?, createdAt: Date) {
        self.id = id
        self.reporterID = reporterID
        self.summary = summary
        self.account = account
        self.dealAmount = dealAmount
        self.stage = stage
        self.competitor = competitor
        self.persona = persona
        self.industry = industry
        self.product = product
        self.occurredOn = occurredOn
        self.objectionID = objectionID
        self.triagedAt = triagedAt
        self.createdAt = createdAt
    }
}

/// A validated report, ready to file.
public struct NewFieldReport: Sendable, Equatable {
    public let summary: String
    public let account: String
    public let dealAmount: Decimal?
    public let stage: BuyingStage?
    public let competitor: String?
    public let persona: String?
    public let industry: String?
    public let product: String?
    public let occurredOn: Day
    public let objectionID: UUID?

    /// Checks every field of API.md; the day defaults to `today`, is never in the future nor over a year back.
    public static func validate(summary: String?, account: String?, dealAmount: Double?, stage: String?, competitor: String?,
                                persona: String?, industry: String?, product: String?, occurredOn: String?,
                                objectionID: UUID?, today: Day) throws(ValidationError) -> NewFieldReport {
        var check = Validator()
        let summary = check.text(summary, field: "summary", max: 2000)
        let account = check.text(account, field: "account", max: 200)
        var amount: Decimal? = nil
        if let dealAmount {
            if !dealAmount.isFinite || dealAmount < 0 || dealAmount > 1e15 {
                check.fail("deal_amount", "must be a finite number from 0 up")
            } else {
                amount = Decimal(string: String(dealAmount))
            }
        }
        let stage = stage.flatMap { $0.trimmed.isEmpty ? nil : $0 }.flatMap { check.oneOf($0, field: "stage", BuyingStage.self) }
        let competitor = check.optionalText(competitor, field: "competitor", max: 200)
        let persona = check.optionalText(persona, field: "persona", max: 200)
        let industry = check.optionalText(industry, field: "industry", max: 200)
        let product = check.optionalText(product, field: "product", max: 200)
        var day = today
        if let text = occurredOn?.trimmed, !text.isEmpty {
            if let parsed = Day(text) {
                if parsed > today { check.fail("occurred_on", "cannot be in the future") }
                else if parsed < today.adding(days: -365) { check.fail("occurred_on", "cannot be more than a year back") }
                day = parsed
            } else {
                check.fail("occurred_on", "must be a date YYYY-MM-DD")
            }
        }
        try check.finish()
        return NewFieldReport(summary: summary!, account: account!, dealAmount: amount, stage: stage, competitor: competitor,
                              persona: persona, industry: industry, product: product, occurredOn: day, objectionID: objectionID)
    }
}
