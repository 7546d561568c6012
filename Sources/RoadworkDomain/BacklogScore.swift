import Foundation

/// The backlog score of DESIGN.md, and the arithmetic that keeps it up to date without rescanning reports.
///
/// `demand = Σ_a 2^(-(now - t_a)/H) · v_a = 2^(-now/H) · Σ_a 2^(t_a/H) · v_a`, so each objection keeps
/// `log2 Σ_a 2^(t_a/H) · v_a` (in log space: 2^(t/H) overflows a Double for small H) and the clock only
/// enters when the backlog is read.
public struct BacklogScoring: Sendable, Equatable {
    /// Half-life H in days.
    public let halfLifeDays: Double
    /// Reference deal size V.
    public let referenceDealSize: Double

    /// The time scores are shown for: the start of the current minute. Demand decays continuously, so scores taken at
    /// the exact instant would differ on every read and a list could never be revalidated (ETag) by a reload.
    public static func currentMinute(_ now: Date = Date()) -> Date {
        Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 60).rounded(.down) * 60)
    }

    public init(halfLifeDays: Double, referenceDealSize: Double) {
        self.halfLifeDays = halfLifeDays
        self.referenceDealSize = referenceDealSize
    }

    /// `v_a = 1 + ln(1 + amount_a / V)`: the value at stake of one account.
    public func value(amount: Double) -> Double { 1 + log(1 + max(0, amount) / referenceDealSize) }

    /// `log2(2^(t_a/H) · v_a)`: one account's term, in log space.
    public func term(lastDay: Day, amount: Double) -> Double {
        Double(lastDay.number) / halfLifeDays + log2(value(amount: amount))
    }

    /// Replaces an account's old term (nil if new) by its new term in a log-space sum (nil if empty).
    public static func replacing(_ oldTerm: Double?, with newTerm: Double, in sum: Double?) -> Double {
        guard let sum else { return newTerm }
        guard let oldTerm else { return logAdd(sum, newTerm) }
        let top = max(sum, newTerm)
        let rest = exp2(sum - top) - exp2(oldTerm - top) + exp2(newTerm - top)
        // Rounding can leave a hair below the new term alone; the sum is never less than that.
        return top + log2(max(rest, exp2(newTerm - top)))
    }

    /// log2(2^a + 2^b) without overflow.
    public static func logAdd(_ a: Double, _ b: Double) -> Double {
        let top = max(a, b)
        return top + log2(exp2(a - top) + exp2(b - top))
    }

    /// log2 Σ 2^terms, or nil for no terms.
    public static func logSum(_ terms: [Double]) -> Double? {
        guard let top = terms.max() else { return nil }
        return top + log2(terms.reduce(0) { $0 + exp2($1 - top) })
    }

    /// `demand` at `now`, from the kept log-space sum.
    public func demand(logSum: Double, now: Date) -> Double {
        exp2(logSum - now.timeIntervalSince1970 / 86_400 / halfLifeDays)
    }

    /// `1 + (6 - rank)/5` when the objection's obstacle is in the Top 5, else 1.
    public static func strategic(obstacleRank: Int?) -> Double {
        guard let rank = obstacleRank, (1...5).contains(rank) else { return 1 }
        return 1 + Double(6 - rank) / 5
    }

    /// `1 - 0.8 · (helpful + 1)/(feedback + 2)` once content is published, else 1.
    public static func coverage(hasPublished: Bool, helpful: Int, feedback: Int) -> Double {
        guard hasPublished else { return 1 }
        return 1 - 0.8 * Double(helpful + 1) / Double(feedback + 2)
    }
}

/// One counted report, as the from-scratch computation reads it.
public struct CountedReport: Sendable {
    public let account: String
    public let day: Day
    public let amount: Double?
    public let reporterID: UUID

    public init(account: String, day: Day, amount: Double?, reporterID: UUID) {
        self.account = account
        self.day = day
        self.amount = amount
        self.reporterID = reporterID
    }

    /// Accounts are trimmed and case-folded: "ACME " and "acme" are one account.
    public var accountKey: String { account.trimmed.lowercased() }
}

/// Why an objection ranks where it does (API.md's breakdown); `demand · strategic · coverage = score`.
public struct ScoreBreakdown: Sendable, Equatable, Codable {
    public let accounts: Int
    public let reps: Int
    public let reports: Int
    public let demand: Double
    public let strategic: Double
    public let coverage: Double
    public let valueAtStake: Double
    public let lastReportedOn: Day?

    public init(accounts: Int, reps: Int, reports: Int, demand: Double, strategic: Double, coverage: Double,
                valueAtStake: Double, lastReportedOn: Day?) {
        self.accounts = accounts
        self.reps = reps
        self.reports = reports
        self.demand = demand
        self.strategic = strategic
        self.coverage = coverage
        self.valueAtStake = valueAtStake
        self.lastReportedOn = lastReportedOn
    }

    public var score: Double { demand * strategic * coverage }
}

extension BacklogScoring {
    /// The score straight from DESIGN.md's formula over raw reports: the reference the kept aggregates must match.
    public func breakdown(reports: [CountedReport], since: Day?, obstacleRank: Int?, hasPublished: Bool,
                          helpful: Int, feedback: Int, now: Date) -> ScoreBreakdown {
        let counted = reports.filter { since == nil || $0.day >= since! }
        var accounts: [String: (day: Day, amount: Double)] = [:]
        for report in counted {
            let previous = accounts[report.accountKey]
            accounts[report.accountKey] = (max(previous?.day ?? report.day, report.day), max(previous?.amount ?? 0, report.amount ?? 0))
        }
        let nowDays = now.timeIntervalSince1970 / 86_400
        let demand = accounts.values.reduce(0.0) { sum, account in
            sum + exp2(-(nowDays - Double(account.day.number)) / halfLifeDays) * value(amount: account.amount)
        }
        return ScoreBreakdown(
            accounts: accounts.count,
            reps: Set(counted.map(\.reporterID)).count,
            reports: counted.count,
            demand: demand,
            strategic: Self.strategic(obstacleRank: obstacleRank),
            coverage: Self.coverage(hasPublished: hasPublished, helpful: helpful, feedback: feedback),
            valueAtStake: accounts.values.reduce(0) { $0 + $1.amount },
            lastReportedOn: counted.map(\.day).max()
        )
    }
}
