import Foundation

/// Did the wall stop? For each bite published for an objection: how many distinct accounts reported the wall each week
/// before and after the publication (weeks aligned on the day it was published), the rates before and after, reps'
/// verdicts on the bite, and what that says.
public struct WallImpact: Sendable, Encodable {
    /// Weeks looked at on each side of a publication.
    public static let window = 8
    /// Full weeks after a publication before its effect is judged.
    public static let weeksToJudge = 2

    public let objectionID: UUID
    /// Oldest publication first.
    public let publications: [Publication]

    public init(objectionID: UUID, publications: [Publication]) {
        self.objectionID = objectionID
        self.publications = publications
    }

    /// The wall is still reported at the rate it was before its latest bite shipped.
    public var notStopped: Bool { publications.last?.verdict == .notStopped }

    /// One week of a publication's window: week 0 starts on the publication day, -1 is the week before it.
    public struct Week: Sendable, Encodable, Equatable {
        public let week: Int
        public let startsOn: Day
        public let accounts: Int
        /// False for the week still running (it is shown, but not counted in a rate).
        public let complete: Bool

        public init(week: Int, startsOn: Day, accounts: Int, complete: Bool) {
            self.week = week
            self.startsOn = startsOn
            self.accounts = accounts
            self.complete = complete
        }
    }

    /// What one publication did to the rate a wall is reported at.
    public struct Publication: Sendable, Encodable {
        public let contentID: UUID
        public let title: String
        public let url: String?
        public let publishedOn: Day
        /// The window's weeks that have started, oldest first.
        public let weeks: [Week]
        /// Distinct accounts a week, on average, in the window's weeks before the publication.
        public let beforeRate: Double
        /// The same over the complete weeks since; nil before one has passed.
        public let afterRate: Double?
        /// (after − before) / before; nil without both.
        public let change: Double?
        public let weeksAfter: Int
        public let helpful: Int
        public let notHelpful: Int
        public let verdict: ImpactVerdict

        /// Builds a publication's figures from its accounts per week (week number → distinct accounts), as of `today`.
        public init(contentID: UUID, title: String, url: String?, publishedOn: Day, accountsByWeek: [Int: Int], helpful: Int, notHelpful: Int,
                    today: Day) {
            self.contentID = contentID
            self.title = title
            self.url = url
            self.publishedOn = publishedOn
            self.helpful = helpful
            self.notHelpful = notHelpful
            weeks = (-WallImpact.window..<WallImpact.window).compactMap { week in
                let start = publishedOn.adding(days: 7 * week)
                guard start <= today else { return nil }
                return Week(week: week, startsOn: start, accounts: accountsByWeek[week] ?? 0, complete: start.adding(days: 6) <= today)
            }
            let before = weeks.filter { $0.week < 0 }
            let after = weeks.filter { $0.week >= 0 && $0.complete }
            let beforeRate = Double(before.map(\.accounts).reduce(0, +)) / Double(WallImpact.window)
            let afterRate = after.isEmpty ? nil : Double(after.map(\.accounts).reduce(0, +)) / Double(after.count)
            self.beforeRate = beforeRate
            self.afterRate = afterRate
            weeksAfter = after.count
            change = afterRate.flatMap { beforeRate > 0 ? ($0 - beforeRate) / beforeRate : nil }
            verdict = ImpactVerdict(beforeRate: beforeRate, afterRate: afterRate, weeksAfter: after.count)
        }
    }
}

/// What the rates say about a wall after its bite shipped.
public enum ImpactVerdict: String, Sendable, Encodable {
    /// Fewer than `WallImpact.weeksToJudge` complete weeks since the publication.
    case tooEarly = "too_early"
    /// Nobody reported it in the weeks before: there is no rate to compare with.
    case noBaseline = "no_baseline"
    /// Reported at a quarter of the rate before, or less.
    case stopped
    /// Reported less, but at more than a quarter of the rate before.
    case slowed
    /// Reported at 80% of the rate before or more: the content did not stop the wall.
    case notStopped = "not_stopped"

    init(beforeRate: Double, afterRate: Double?, weeksAfter: Int) {
        guard let afterRate, weeksAfter >= WallImpact.weeksToJudge else { self = .tooEarly; return }
        if beforeRate == 0 { self = .noBaseline } else if afterRate <= 0.25 * beforeRate { self = .stopped }
        else if afterRate < 0.8 * beforeRate { self = .slowed } else { self = .notStopped }
    }

    /// As a person reads it.
    public var label: String {
        switch self {
        case .tooEarly: "too early to tell"
        case .noBaseline: "not reported before it shipped"
        case .stopped: "stopped"
        case .slowed: "slowed"
        case .notStopped: "not stopped"
        }
    }
}
