import Foundation
import RoadworkDomain
import Testing

@Suite("The backlog score of DESIGN.md")
struct BacklogScoringTests {
    let scoring = BacklogScoring(halfLifeDays: 30, referenceDealSize: 10_000)

    @Test func strategicFollowsTheObstaclesTopFiveRank() {
        #expect(BacklogScoring.strategic(obstacleRank: 1) == 2.0)
        #expect(abs(BacklogScoring.strategic(obstacleRank: 5) - 1.2) < 1e-12)
        #expect(BacklogScoring.strategic(obstacleRank: nil) == 1)
    }

    @Test func coverageFallsWithHelpfulFeedbackOnlyOncePublished() {
        #expect(BacklogScoring.coverage(hasPublished: false, helpful: 9, feedback: 9) == 1)
        #expect(abs(BacklogScoring.coverage(hasPublished: true, helpful: 0, feedback: 0) - 0.6) < 1e-12)
        #expect(BacklogScoring.coverage(hasPublished: true, helpful: 8, feedback: 8) < BacklogScoring.coverage(hasPublished: true, helpful: 0, feedback: 8))
    }

    @Test func aReportHalfALifeOldWeighsHalf() {
        let now = Date(timeIntervalSince1970: 20_000 * 86_400)
        let fresh = scoring.breakdown(reports: [report("A", day: 20_000)], since: nil, obstacleRank: nil, hasPublished: false, helpful: 0, feedback: 0, now: now)
        let old = scoring.breakdown(reports: [report("A", day: 19_970)], since: nil, obstacleRank: nil, hasPublished: false, helpful: 0, feedback: 0, now: now)
        #expect(abs(old.demand / fresh.demand - 0.5) < 1e-12)
    }

    @Test func oneAccountCountsOnceWithItsLatestDayAndLargestDeal() {
        let now = Date(timeIntervalSince1970: 20_000 * 86_400)
        let reports = [report("Acme", day: 19_990, amount: 5_000), report(" ACME ", day: 20_000, amount: 1_000), report("acme", day: 19_995)]
        let breakdown = scoring.breakdown(reports: reports, since: nil, obstacleRank: nil, hasPublished: false, helpful: 0, feedback: 0, now: now)
        #expect(breakdown.accounts == 1)
        #expect(breakdown.reports == 3)
        #expect(breakdown.valueAtStake == 5_000)
        #expect(abs(breakdown.demand - (1 + log(1.5))) < 1e-12)
    }

    @Test func theKeptLogSumMatchesTheDirectSumThroughReplacements() {
        var sum: Double? = nil
        var terms: [String: Double] = [:]
        let updates: [(String, Int, Double)] = [("a", 19_000, 0), ("b", 19_010, 50_000), ("a", 19_020, 1_000), ("c", 18_990, 0), ("b", 19_030, 70_000)]
        for (account, day, amount) in updates {
            let term = scoring.term(lastDay: Day(number: day), amount: amount)
            sum = BacklogScoring.replacing(terms[account], with: term, in: sum)
            terms[account] = term
        }
        #expect(abs(sum! - BacklogScoring.logSum(Array(terms.values))!) < 1e-9)
    }

    @Test func daysParseOnlyRealDates() {
        #expect(Day("2026-02-28")?.description == "2026-02-28")
        #expect(Day("2024-02-29") != nil)
        #expect(Day("2026-02-30") == nil)
        #expect(Day("2026-2-3") == nil)
        #expect(Day("1970-01-02")?.number == 1)
        #expect(Day(number: 20_000).description == "2024-10-04")
    }

    private func report(_ account: String, day: Int, amount: Double? = nil) -> CountedReport {
        CountedReport(account: account, day: Day(number: day), amount: amount, reporterID: UUID())
    }
}
