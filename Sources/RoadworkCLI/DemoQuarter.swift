import Foundation
import RoadworkDomain
import RoadworkStore

/// A believable quarter for the demo organization, written through the normal store calls so every aggregate is real.
struct DemoQuarter {
    let database: Database
    let orgID: UUID
    let people: [Role: [UUID]]
    var random = SeededRandom(seed: 42)

    static let opportunities = [
        "Healthcare systems replacing legacy schedulers", "Mid-market expansion in DACH", "Partner-led deals with SIs",
        "Upsell analytics to existing customers", "Public sector framework renewal", "Retail chains moving to cloud POS",
    ]

    static let obstacles: [(String, [String])] = [
        ("Security and compliance reviews stall deals", ["No SSO with Okta or Azure AD", "No SOC 2 Type II report yet", "Data residency outside the EU",
                                                         "No audit log export", "Pen test results not shareable"]),
        ("Price perceived as too high", ["Competitor X is half the price", "Per-seat pricing punishes growth", "No monthly billing option",
                                         "Implementation fee is a surprise"]),
        ("Integrations missing", ["No Salesforce two-way sync", "No HubSpot integration", "API rate limits too low", "No Snowflake export"]),
        ("Hard to prove ROI", ["No customer case studies in our industry", "Can't show time-to-value", "No benchmark data"]),
        ("Onboarding seen as heavy", ["Migration from spreadsheets looks painful", "Training takes too long", "No sandbox to try"]),
        ("Brand unknown in enterprise", ["Never heard of you", "Worried you will not be around in 3 years"]),
    ]

    static let accounts = [
        "Acme Corp", "Globex", "Initech", "Umbrella Health", "Hooli", "Stark Industries", "Wayne Enterprises", "Wonka Foods",
        "Cyberdyne", "Soylent", "Tyrell", "Massive Dynamic", "Vandelay Imports", "Pied Piper", "Aperture Labs", "Black Mesa",
        "Gringotts", "Oceanic Air", "Monarch Solutions", "Nakatomi Trading", "Dunder Mifflin", "Prestige Worldwide", "Sterling Cooper",
        "Bluth Company", "Krusty Krab", "Los Pollos Hermanos", "Gekko & Co", "Duff Brewing", "Planet Express", "Virtucon",
        "Wernham Hogg", "Oscorp", "Rekall", "Omni Consumer", "Weyland", "InGen", "Buy n Large", "Spacely Sprockets",
    ]

    static let summaries = [
        "The CISO said straight out: %@. They want it before the security review.",
        "Procurement pushed back: %@.",
        "Champion loves the product but the committee raised: %@.",
        "Lost momentum after the demo — %@.",
        "On the call the VP asked twice about this: %@.",
        "Came up again in the proposal review: %@.",
    ]

    static let competitors = ["Competitor X", "Legacy Suite", "Spreadsheet", "BigCo Cloud", nil, nil]
    static let personas = ["CISO", "CFO", "VP Sales", "RevOps lead", "IT director", nil]
    static let industries = ["Healthcare", "Retail", "Manufacturing", "Financial services", "Public sector", "Software"]

    mutating func fill() async throws {
        let admin = people[.admin]![0]
        let salesHead = people[.salesHead]![0]
        let marketingHead = people[.marketingHead]![0]
        let reps = people[.rep]!
        let marketers = people[.marketer]! + [marketingHead]
        let today = Day.today()

        var obstacleIDs: [UUID] = []
        var opportunityIDs: [UUID] = []
        var objectionIDs: [UUID] = []
        for title in Self.opportunities {
            let item = try NewFocusItem.validate(kind: "opportunity", title: title, description: nil)
            opportunityIDs.append(try await database.tenant(orgID, actor: marketingHead) { try $0.createFocusItem(item).id })
        }
        for (title, walls) in Self.obstacles {
            let item = try NewFocusItem.validate(kind: "obstacle", title: title, description: nil)
            let obstacle = try await database.tenant(orgID, actor: salesHead) { try $0.createFocusItem(item).id }
            obstacleIDs.append(obstacle)
            for wall in walls {
                let new = try NewObjection.validate(statement: wall, obstacleID: obstacle)
                objectionIDs.append(try await database.tenant(orgID, actor: marketingHead) { try $0.createObjection(new).id })
            }
        }

        // Last quarter's joint review, signed by both heads, sets today's Top 5.
        let review = try await database.tenant(orgID, actor: salesHead) { try $0.openReview().id }
        let lineup = try await database.tenant(orgID, actor: salesHead) { [opportunityIDs, obstacleIDs] in
            try $0.setLineup(reviewID: review, opportunities: Array(opportunityIDs.prefix(5)), obstacles: Array(obstacleIDs.prefix(5)),
                             notes: "Q3 plan: security reviews first, then price objections.", expectedVersion: nil).lineup.version
        }
        for (head, role) in [(salesHead, Role.salesHead), (marketingHead, .marketingHead)] {
            _ = try await database.tenant(orgID, actor: head) { store in
                try store.signOff(reviewID: review, role: role, lineupVersion: lineup, scoring: try store.scoring()).id
            }
        }
        // The last review was five weeks ago, so the next one's agenda has a stretch of data to speak of.
        try await database.tenant(orgID) { store in
            try store.connection.query("UPDATE joint_reviews SET opened_at = now() - interval '36 days', closed_at = now() - interval '35 days' WHERE id = $1", [review])
            try store.connection.query("UPDATE review_signoffs SET signed_at = now() - interval '35 days' WHERE review_id = $1", [review])
        }

        // A few hundred reports over the quarter; a handful of walls draw most of them, some are untriaged.
        for index in 0..<320 {
            let wall = objectionIDs[min(objectionIDs.count - 1, Int(Double(objectionIDs.count) * pow(random.unit(), 1.8)))]
            let statement = try await database.tenant(orgID) { try $0.objection(id: wall)!.statement }
            let recent = index > 260
            let draft = ReportDraft(
                summary: String(format: random.pick(Self.summaries), statement.lowercased()),
                account: random.pick(recent ? Array(Self.accounts.prefix(12)) : Self.accounts),
                dealAmount: random.unit() < 0.8 ? Double(5_000 + random.int(200) * 1_000) : nil,
                stage: random.pick(BuyingStage.allCases).rawValue, competitor: random.pick(Self.competitors),
                persona: random.pick(Self.personas), industry: random.pick(Self.industries), product: "Roadwork Cloud",
                occurredOn: today.adding(days: -(recent ? random.int(13) : random.int(90))).description,
                objectionID: random.unit() < 0.9 ? wall : nil)
            let rep = random.pick(reps)
            _ = try await database.tenant(orgID, actor: rep) { store in
                _ = try store.file(draft, today: today)
            }
        }

        // Content in every status, feedback on what shipped.
        let statuses: [ContentStatus] = [.published, .published, .published, .inReview, .inProgress, .todo, .retired]
        for (index, status) in statuses.enumerated() {
            let objection = objectionIDs[index * 3 % objectionIDs.count]
            let format = ContentFormat.allCases[index % ContentFormat.allCases.count]
            let assignee = marketers[index % marketers.count]
            let title = "\(format.rawValue.replacingOccurrences(of: "_", with: " ").capitalized) for wall #\(index + 1)"
            let url: String?? = status == .published ? .some("https://example.com/content/\(index + 1)") : nil
            let item = try await database.tenant(orgID, actor: assignee) { store in
                try store.createContent(for: .objection(objection), fields: ContentChanges(title: title, format: format, status: status,
                                                                                        assigneeID: .some(assignee), effort: .some(3), url: url),
                                        scoring: try store.scoring()).id
            }
            if status == .published {
                // Shipped weeks ago, so "did the wall stop?" has weeks after to show: the backlog counts from that day.
                let shipped = today.adding(days: -[38, 24, 12][index % 3])
                try await database.tenant(orgID) { store in
                    try store.connection.query("UPDATE content_items SET published_at = $2::date + time '10:00' WHERE id = $1", [item, shipped])
                    try store.connection.query("UPDATE objections SET counted_since = $2::date WHERE id = $1", [objection, shipped])
                }
                for vote in 0..<(2 + index) {
                    let helpful = (vote + index) % 3 != 0
                    _ = try await database.tenant(orgID, actor: reps[vote % reps.count]) {
                        try $0.addFeedback(contentID: item, helpful: helpful, account: Self.accounts[vote], comment: helpful ? "Buyer liked it" : "Did not land").id
                    }
                }
            }
        }
        // Opportunities are won by teaching buyers too: a shipped case study and one in the works for the first.
        for (title, status) in [("Case study: a hospital group retires its legacy scheduler", ContentStatus.published), ("Migration guide from legacy schedulers", .inProgress)] {
            let url: String?? = status == .published ? .some("https://example.com/content/opportunity-case-study") : nil
            _ = try await database.tenant(orgID, actor: marketers[0]) { [opportunityIDs] store in
                try store.createContent(for: .opportunity(opportunityIDs[0]), fields: ContentChanges(title: title, format: status == .published ? .caseStudy : .onePager,
                                                                                                       status: status, assigneeID: .some(marketers[0]), url: url),
                                        scoring: try store.scoring()).id
            }
        }
        try await database.tenant(orgID) { try $0.rebuildAllAggregates() }
        _ = admin
    }
}
