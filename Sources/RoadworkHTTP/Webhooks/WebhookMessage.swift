import Crypto
import Foundation
import RoadworkStore

/// What a webhook request carries: the body in the endpoint's format and the headers that identify and sign it.
struct WebhookMessage: Sendable {
    let body: String
    let headers: [(String, String)]

    /// The event as the endpoint wants it, signed with its key at `now`.
    init(_ delivery: ClaimedDelivery, publicURL: String, signer: WebhookSigner, now: Date = Date()) {
        body = delivery.format == .slack ? Self.slackBody(delivery, publicURL: publicURL) : Self.jsonBody(delivery)
        let timestamp = Int(now.timeIntervalSince1970)
        headers = [
            ("Content-Type", "application/json"),
            ("User-Agent", "Roadwork-Webhooks/1"),
            ("Roadwork-Event-Id", delivery.eventID.lowercasedText),
            ("Roadwork-Event-Type", delivery.eventType),
            ("Roadwork-Signature", "t=\(timestamp),v1=\(signer.signature(timestamp: timestamp, body: body))"),
        ]
    }

    /// Roadwork's own format: the event's identity, then `data` = `{"object": …, "previous": …}` as the change left it. Written
    /// by hand: every field but `data` is a UUID, a fixed event or object type or a time, none of which needs escaping, and a
    /// busy endpoint gets hundreds of these a second.
    static func jsonBody(_ delivery: ClaimedDelivery) -> String {
        func uuid(_ id: UUID?) -> String { id.map { "\"\($0.lowercasedText)\"" } ?? "null" }
        return "{\"id\":\"\(delivery.eventID.lowercasedText)\",\"type\":\"\(delivery.eventType)\",\"organization_id\":\"\(delivery.orgID.lowercasedText)\","
            + "\"object_type\":\"\(delivery.objectType)\",\"object_id\":\(uuid(delivery.objectID)),\"actor_id\":\(uuid(delivery.actorID)),"
            + "\"created_at\":\"\(delivery.occurredAt.formatted(Self.timestamp))\",\"data\":\(delivery.data)}"
    }

    /// RFC 3339 in UTC with milliseconds, as the API writes times.
    static let timestamp = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    /// Slack's incoming-webhook format: one readable line with a link back to Roadwork.
    static func slackBody(_ delivery: ClaimedDelivery, publicURL: String) -> String {
        let data = (try? JSONSerialization.jsonObject(with: Data(delivery.data.utf8))) as? [String: Any]
        let object = data?["object"] as? [String: Any] ?? [:]
        let text = slackText(type: delivery.eventType, object: object, publicURL: publicURL)
        let payload: [String: Any] = ["text": text, "unfurl_links": false]
        return String(decoding: (try? JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
    }

    static func slackText(type: String, object: [String: Any], publicURL: String) -> String {
        func field(_ key: String) -> String { escape(object[key].map { "\($0)" } ?? "") }
        func link(_ path: String, _ label: String) -> String { "<\(publicURL)\(path)|\(label)>" }
        let objection = object["objection"] as? [String: Any] ?? [:]
        switch type {
        case "wall.emerging":
            let statement = escape(objection["statement"] as? String ?? "")
            let recent = object["accounts_recent"].map { "\($0)" } ?? "?"
            return ":construction: New wall: *\(statement)* — \(recent) accounts hit it in the last 14 days (\(field("accounts_before")) the 14 before). "
                + link("/objections/\(objection["id"] as? String ?? "")", "Open in Roadwork")
        case "report.filed":
            return ":memo: New field report from \(field("account")): “\(field("summary"))” " + link("/triage", "Triage")
        case "report.triaged":
            return "A report from \(field("account")) was triaged. " + link("/objections/\(field("objection_id"))", "See the objection")
        case "objection.created":
            return ":bricks: New objection: *\(field("statement"))* " + link("/objections/\(field("id"))", "Open in Roadwork")
        case "objection.merged":
            return "An objection was merged into another; its reports now count there. " + link("/objections/\(field("into"))", "See it")
        case "content.published":
            let url = object["url"] as? String
            return ":white_check_mark: Shipped: *\(field("title"))* (\(field("format")))" + (url.map { " <\($0)|Read it>" } ?? "")
                + " · " + link("/objections/\(field("objection_id"))", "the objection it answers")
        case "content.status_changed":
            return "*\(field("title"))* is now \(spaced(field("status"))). " + link("/content", "Content board")
        case "review.signed":
            return ":writing_hand: A joint review was signed. " + link("/review", "See the Top 5")
        case "review.applied":
            return ":trophy: Sales and marketing signed a new Top 5 Opportunities and Obstacles. " + link("/", "See them")
        case "webhook.test":
            return "A test message from Roadwork: this channel will show what you subscribed it to. " + link("/", "Open Roadwork")
        default:
            return "Roadwork: \(type.replacingOccurrences(of: ".", with: " ").replacingOccurrences(of: "_", with: " ")). " + link("/", "Open Roadwork")
        }
    }

    /// Slack's three control characters, escaped as its formatting guide says.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

/// An endpoint's signing key, set up once for a batch of its deliveries: keying HMAC was two fifths of what signing each
/// event cost.
struct WebhookSigner: Sendable {
    private let keyed: HMAC<SHA256>

    init(secret: String) {
        keyed = HMAC(key: SymmetricKey(data: Array(secret.utf8)))
    }

    /// HMAC-SHA256 over "timestamp.body" in lower-case hex (as Stripe signs its webhooks).
    func signature(timestamp: Int, body: String) -> String {
        var mac = keyed
        mac.update(data: Array("\(timestamp).".utf8))
        mac.update(data: Array(body.utf8))
        return mac.finalize().lowercaseHex
    }
}
