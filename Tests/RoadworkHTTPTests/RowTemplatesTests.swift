import Foundation
import Mustache
import Testing
@testable import RoadworkDomain
@testable import RoadworkHTTP
@testable import RoadworkStore

/// Rows rendered by `RowTemplate` against the same rows rendered by the Mustache library, as the pages' stack would hold
/// them (the row, then the page's values): every shape of a board card, an inbox row and a backlog entry, an objection's
/// report and history lines, and the rules a row template relies on.
@Suite("Row templates render as the Mustache library does")
struct RowTemplatesTests {
    /// The row's names first, then the page's: what Mustache finds with the page's values under a row on its stack.
    struct Layered: MustacheParent {
        let row: any MustacheParent
        let page: any MustacheParent
        func child(named name: String) -> Any? { row.child(named: name) ?? page.child(named: name) }
    }

    let page = TemplateObject(["csrf": "c<s>r&f\"'", "canPlan": true, "title": "Page title"])

    private func library(_ row: any MustacheParent, _ template: Templates.Row) -> String {
        Templates.library.render(Layered(row: row, page: page), withTemplate: template.rawValue) ?? "(not rendered)"
    }

    @Test func everyBoardCardShape() throws {
        let when = Date(timeIntervalSince1970: 1_764_000_000)
        var shown = 0
        for status in ContentStatus.allCases {
            for url in [nil, "", "https://example.com/a?b=c&d=<e>"] {
                for opportunity in [nil, UUID()] {
                    for role in [Role.marketer, .rep, .salesHead, .admin] {
                        let item = ContentItem(id: UUID(), objectionID: opportunity == nil ? UUID() : nil, opportunityID: opportunity,
                                               title: "SSO \"one-pager\" <b>& more</b>", format: .onePager, status: status, assigneeID: nil,
                                               effort: 2, url: url, publishedAt: nil, version: 1, createdAt: when, updatedAt: when)
                        let identity = Identity(sessionID: nil, userID: UUID(), orgID: UUID(), email: "a@example.com", name: "A", role: role,
                                                organizationName: "Org")
                        for assignee in [nil, "Mar'ketta"] {
                            let card = ContentBoardCard(ContentCard(item: item, targetTitle: "No SOC 2 <report>", assigneeName: assignee), for: identity)
                            let ours = Templates.Row.content_card.template.render([card], page: page)
                            #expect(ours == library(card, .content_card), "\(status) \(role) url \(url ?? "nil")")
                            shown += 1
                        }
                    }
                }
            }
        }
        #expect(shown == ContentStatus.allCases.count * 3 * 2 * 4 * 2)
    }

    @Test func everyInboxRowShape() {
        func text(_ value: String) -> TemplateText { TemplateText(text: value) }
        let others = [TemplateObject(["id": "o1", "label": "Price <too> high (61%)"]), TemplateObject(["id": "o2", "label": "Legal & review (40%)"])]
        var shown = 0
        for best in [false, true] {
            for confident in [false, true] where best || !confident {
                for alternatives in [[], Array(others.prefix(1)), others] {
                    let row = TriageRow(
                        reportID: text("r-1"), summary: text("They said \"no\" <again> & left"), account: text("O'Brien & Co"),
                        facts: text("O'Brien & Co · 2026-01-05 · $1200.5"), summaryShort: text("They said \"no\""),
                        bestID: best ? text("b-1") : nil, bestStatement: best ? text("No <SSO>") : nil,
                        bestBadge: best ? text("61%" + (confident ? " · confident" : "")) : nil, confident: confident, others: alternatives)
                    let ours = Templates.Row.triage_row.template.render([row], page: page)
                    #expect(ours == library(row, .triage_row), "best \(best) confident \(confident) others \(alternatives.count)")
                    shown += 1
                }
            }
        }
        #expect(shown == 9)
    }

    @Test func reportAndHistoryLines() {
        for (summary, account) in [("They want <SSO> & \"SAML\"", "O'Brien"), ("", "a")] {
            let report = TemplateObject(["summary": summary, "account": account, "day": "2026-01-05"])
            #expect(Templates.Row.objection_report.template.render([report], page: page) == library(report, .objection_report))
            let line = TemplateObject(["action": "objection.merged <into>", "at": "2026-01-06"])
            #expect(Templates.Row.history_line.template.render([line], page: page) == library(line, .history_line))
        }
        // Several rows follow each other as the library renders each.
        let reports = ["a <b>", "c"].map { TemplateObject(["summary": $0, "account": "x", "day": "2026-01-05"]) }
        #expect(Templates.Row.objection_report.template.render(reports, page: page) == reports.map { library($0, .objection_report) }.joined())
    }

    @Test func everyBacklogEntryShape() {
        let base: [String: Any] = ["id": "o-1", "statement": "No <SSO> & \"SAML\"", "rank": 3, "score": "12.5", "demand": "6.25",
                                   "strategic": "1.5", "coverage": "0.75", "demandWidth": 40, "strategicWidth": 10, "coverageWidth": 0,
                                   "accounts": 4, "reps": 2, "reports": 9, "value": 125_000, "last": "2026-01-05", "owner": "unassigned"]
        for obstacle in [nil, "Security reviews"] {
            for rank in [nil, 2] where obstacle != nil || rank == nil {
                for content in [nil, "Bridge <letter>"] {
                    var fields = base
                    if let obstacle { fields["obstacle"] = obstacle }
                    if let rank { fields["obstacleRank"] = rank }
                    if let content { fields.merge(["content": content, "contentID": "c-1", "contentStatus": "in progress"]) { _, new in new } }
                    let entry = TemplateObject(fields)
                    #expect(Templates.Row.backlog_entry.template.render([entry], page: page) == library(entry, .backlog_entry),
                            "obstacle \(obstacle ?? "none") rank \(rank ?? 0) content \(content ?? "none")")
                }
            }
        }
    }

    /// The rules beyond these rows: nested and inverted sections over lists, flags, texts, numbers and missing names;
    /// dotted names and "."; lines holding only a section tag or a comment (with either line break) leave nothing.
    @Test func sectionsNamesAndStandaloneLinesFollowTheLibrary() throws {
        let source = """
            <ul>
              {{#items}}
              <li>{{name}} {{{name}}} {{&name}} {{#flag}}on{{/flag}}{{^flag}}off{{/flag}} {{count}} {{missing}}|{{csrf}}</li>\r
              {{#tags}}<i>{{.}}</i>{{/tags}}{{^tags}}<i>none</i>{{/tags}}
              {{! a comment on its own line }}
                {{#inner}}{{inner.name}} {{name}}{{/inner}}
              {{/items}}
              {{^items}}
              <li>empty</li>
              {{/items}}
            </ul>{{#title}}[{{.}}]{{/title}}{{#zero}}zero shown{{/zero}}{{^nothing}} nothing{{/nothing}}

            """
        let item = { (name: String, flag: Bool, tags: [String], inner: [String: Any]?) -> TemplateObject in
            var fields: [String: Any] = ["name": name, "flag": flag, "count": 3, "tags": tags]
            if let inner { fields["inner"] = inner }
            return TemplateObject(fields)
        }
        let rows: [TemplateObject] = [
            TemplateObject(["items": [item("a<b", true, ["x", "y&"], ["name": "in\"ner"]), item("c", false, [], nil)], "zero": 0]),
            TemplateObject(["items": [Any](), "title": "T"]),
        ]
        _ = Templates.library  // registers the pages' HTML escaping with the library
        var library = MustacheLibrary()
        try library.register("{{% CONTENT_TYPE: \(EscapedHTML.name) }}" + source, named: "probe")
        let ours = try RowTemplate(source)
        for row in rows {
            let expected = library.render(Layered(row: row, page: page), withTemplate: "probe")
            #expect(ours.render([row], page: page) == expected)
        }
    }

    @Test func whatOnlyTheLibraryRendersIsRefusedWhenTheServerStarts() {
        for source in ["{{> partial}}", "{{<layout}}{{/layout}}", "{{$block}}{{/block}}", "{{=<% %>=}}", "{{#open}}never closed",
                       "{{/closed}}", "{{#a}}{{/b}}", "{{name"] {
            #expect(throws: RowTemplate.Refused.self, "\(source)") { try RowTemplate(source) }
        }
        #expect(throws: Never.self) { _ = try Templates.rows.get() }
    }
}
