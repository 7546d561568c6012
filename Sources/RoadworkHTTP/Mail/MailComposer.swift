import Foundation
import RoadworkDomain
import RoadworkStore

/// Writes each kind of mail from what the database holds when it is sent: subject, plain text, HTML, links back.
struct MailComposer: Sendable {
    let database: Database
    let publicURL: String
    let fromAddress: String
    let fromName: String

    /// Why a queued mail is not sent after all (its content was unpublished, its review is gone, …).
    struct Dropped: Error, CustomStringConvertible {
        let description: String
    }

    func compose(_ mail: ClaimedMail, now: Date = Date()) async throws -> OutgoingMail {
        let link: @Sendable (String) -> String = { [publicURL] path in "\(publicURL)/mail/\(mail.linkToken)/\(path)" }
        let (subject, text) = try await database.tenant(mail.orgID) { store -> (String, String) in
            let organization = try store.organization().name
            switch mail.kind {
            case .contentShipped:
                guard let id = mail.objectID, let item = try store.content(id: id), item.status == .published,
                      let objectionID = item.objectionID else {
                    throw Dropped(description: "the content is no longer published")
                }
                let statement = try store.objection(id: objectionID)?.statement ?? ""
                return ("Marketing shipped “\(item.title)” for the wall you reported", """
                    Hi \(mail.userName),

                    You reported this wall in a deal: \(statement)

                    Marketing has shipped \(spaced(item.format.rawValue)) for it: “\(item.title)”
                    \(item.url ?? "")

                    Use it in your next deal, then tell marketing with one click whether it helped:
                    - Helpful: \(link("helpful"))
                    - Not helpful: \(link("not-helpful"))

                    The wall in Roadwork: \(publicURL)/objections/\(objectionID.lowercasedText)
                    """)
            case .review:
                guard let id = mail.objectID, let summary = try ReviewSummary.load(id: id, from: store) else {
                    throw Dropped(description: "the review no longer exists")
                }
                let what = switch mail.eventType {
                case "review.opened": "opened"
                case "review.signed": "signed"
                default: "agreed and applied"
                }
                return ("Joint review \(what): \(organization)", """
                    The joint review of \(Day(summary.review.openedAt)) was \(what). Open it: \(publicURL)/review

                    \(summary.markdown)
                    """)
            case .digest:
                let digest = try store.weeklyDigest(since: now.addingTimeInterval(-7 * 86_400), today: Day(now))
                let body = digest.markdown { "\(publicURL)/objections/\($0.lowercasedText)" }
                return ("Roadwork weekly: \(digest.isQuiet ? "a quiet week" : "walls and content") at \(organization)", """
                    \(body)

                    The backlog: \(publicURL)/backlog
                    """)
            case .passwordReset:
                guard let secret = mail.secret else { throw Dropped(description: "the link was already sent") }
                return ("Choose a new Roadwork password", """
                    Hi \(mail.userName),

                    Someone (we hope you) asked to reset your Roadwork password for \(mail.toAddress).
                    Choose a new one here; the link works once, for an hour:
                    \(publicURL)/reset/\(secret)

                    If you did not ask, ignore this mail: your password stays as it is.
                    """)
            case .invitation:
                guard let secret = mail.secret else { throw Dropped(description: "the link was already sent") }
                return ("You are invited to \(organization) on Roadwork", """
                    Hi \(mail.userName),

                    You have been invited to \(organization) on Roadwork, where sales and marketing agree on the Top 5
                    Opportunities and Obstacles and turn the walls reps hit into content.

                    Choose your password to start (the link works once, for a week):
                    \(publicURL)/reset/\(secret)
                    """)
            }
        }
        let unsubscribe = mail.kind.isEssential ? nil : link("unsubscribe")
        var plain = text
        var html = MarkdownHTML.render(text)
        if let unsubscribe {
            plain += "\n\n--\nYou get this because of your Roadwork mail preferences: \(publicURL)/preferences\nUnsubscribe: \(unsubscribe)\n"
            html += "\n<hr><p style=\"color:#666;font-size:12px\">You get this because of your <a href=\"\(publicURL)/preferences\">Roadwork mail preferences</a>. "
                + "<a href=\"\(MarkdownHTML.escape(unsubscribe))\">Unsubscribe</a>.</p>"
        }
        let host = URL(string: publicURL)?.host ?? "roadwork.invalid"
        return OutgoingMail(fromAddress: fromAddress, fromName: fromName, toAddress: mail.toAddress, toName: mail.userName, subject: subject,
                            text: plain, html: Self.page(html), messageID: "\(mail.id.lowercasedText)@\(host)", date: now,
                            unsubscribeURL: unsubscribe)
    }

    /// An HTML document around the body, with links made clickable.
    static func page(_ body: String) -> String {
        let linked = body.replacingOccurrences(of: #"(?<!")(https?://[^\s<"]+)"#, with: "<a href=\"$1\">$1</a>", options: .regularExpression)
        return """
            <!doctype html><html><head><meta charset="utf-8"></head>
            <body style="font-family:-apple-system,Segoe UI,Roboto,sans-serif;max-width:640px;margin:0 auto;padding:16px;color:#222">
            \(linked)
            </body></html>
            """
    }
}
