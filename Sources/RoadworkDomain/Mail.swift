import Foundation

/// The kinds of mail Roadwork sends. A person may turn off the non-essential ones; resets and invitations always go.
public enum MailKind: String, Sendable, CaseIterable, Codable {
    case contentShipped = "content_shipped"
    case digest
    case review
    case passwordReset = "password_reset"
    case invitation

    /// The kinds a person chooses to get or not (in this order on the preferences page).
    public static let optional: [MailKind] = [.contentShipped, .digest, .review]

    public var isEssential: Bool { !Self.optional.contains(self) }

    /// How the preferences page and the unsubscribe page name it.
    public var label: String {
        switch self {
        case .contentShipped: "Marketing shipped content for a wall you reported"
        case .digest: "Weekly digest: new and emerging walls, backlog movers, content shipped"
        case .review: "Joint reviews opened, signed and applied"
        case .passwordReset: "Password resets"
        case .invitation: "Invitations"
        }
    }

    /// Who can receive it at all (a rep gets no digest, so the page does not offer one).
    public func isSent(to role: Role) -> Bool {
        switch self {
        case .contentShipped: role == .rep
        case .digest, .review: [.salesHead, .marketingHead, .marketer].contains(role)
        case .passwordReset, .invitation: true
        }
    }
}

/// A person's choice for each optional kind of mail.
public struct MailPreferences: Sendable, Equatable, Encodable {
    public var subscribed: [MailKind: Bool]

    public init(subscribed: [MailKind: Bool]) { self.subscribed = subscribed }

    public func wants(_ kind: MailKind) -> Bool { kind.isEssential || subscribed[kind] ?? true }

    /// Checks a `{"content_shipped": true, …}` change: only optional kinds, only booleans.
    public static func validate(_ changes: [String: Any]) throws(ValidationError) -> [MailKind: Bool] {
        var check = Validator()
        var result: [MailKind: Bool] = [:]
        for (key, value) in changes {
            guard let kind = MailKind(rawValue: key), !kind.isEssential else {
                check.fail(key, "is not a kind of mail one can turn off (use \(MailKind.optional.map(\.rawValue).joined(separator: ", ")))")
                continue
            }
            guard let flag = value as? Bool else { check.fail(key, "must be true or false"); continue }
            result[kind] = flag
        }
        if changes.isEmpty { check.fail("preferences", "name at least one kind of mail") }
        try check.finish()
        return result
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: DynamicKey.self)
        for kind in MailKind.optional { try container.encode(wants(kind), forKey: DynamicKey(kind.rawValue)) }
    }

    private struct DynamicKey: CodingKey {
        let stringValue: String
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }
}

/// One mail ready for SMTP: RFC 5322 headers, a plain-text and an HTML part (multipart/alternative), base64 bodies.
public struct OutgoingMail: Sendable {
    public var fromAddress: String
    public var fromName: String
    public var toAddress: String
    public var toName: String
    public var subject: String
    public var text: String
    public var html: String
    /// Stable per queued mail, so a receiver (or a person) can tell a retried send from a new mail.
    public var messageID: String
    public var date: Date
    /// A one-click unsubscribe link (RFC 8058) for mail a person may turn off; nil for essential mail.
    public var unsubscribeURL: String?

    public init(fromAddress: String, fromName: String, toAddress: String, toName: String, subject: String, text: String,
                html: String, messageID: String, date: Date, unsubscribeURL: String?) {
        self.fromAddress = fromAddress
        self.fromName = fromName
        self.toAddress = toAddress
        self.toName = toName
        self.subject = subject
        self.text = text
        self.html = html
        self.messageID = messageID
        self.date = date
        self.unsubscribeURL = unsubscribeURL
    }

    /// The message as sent, lines ending in CRLF.
    public var rendered: String {
        let boundary = "roadwork-" + String(messageID.filter { $0.isLetter || $0.isNumber }.prefix(32))
        var headers = [
            "From: \(Self.mailbox(name: fromName, address: fromAddress))",
            "To: \(Self.mailbox(name: toName, address: toAddress))",
            "Subject: \(Self.headerText(subject))",
            "Date: \(Self.dateText(date))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Auto-Submitted: auto-generated",
        ]
        if let unsubscribeURL {
            headers.append("List-Unsubscribe: <\(unsubscribeURL)>")
            headers.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
        }
        headers.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
        var lines = headers
        lines.append("")
        for (type, body) in [("text/plain", text), ("text/html", html)] {
            lines.append("--\(boundary)")
            lines.append("Content-Type: \(type); charset=utf-8")
            lines.append("Content-Transfer-Encoding: base64")
            lines.append("")
            lines.append(Self.base64Lines(body))
        }
        lines.append("--\(boundary)--")
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// `"Name" <address>`, or an RFC 2047 encoded name when it is not plain ASCII.
    static func mailbox(name: String, address: String) -> String {
        let clean = name.filter { $0 != "\r" && $0 != "\n" }
        guard !clean.isEmpty else { return "<\(address)>" }
        if clean.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 32 }) {
            return "\"\(clean.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\" <\(address)>"
        }
        return "\(headerText(clean)) <\(address)>"
    }

    /// Header text as is when short plain ASCII, otherwise as RFC 2047 encoded words of at most 45 bytes each, folded.
    static func headerText(_ value: String) -> String {
        let clean = value.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if clean.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 32 }) && clean.utf8.count <= 900 { return clean }
        var words: [String] = []
        var chunk = ""
        for character in clean {
            if chunk.utf8.count + String(character).utf8.count > 45 {
                words.append(chunk)
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    static func dateText(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }

    static func base64Lines(_ body: String) -> String {
        let encoded = Data(body.utf8).base64EncodedString()
        var lines: [Substring] = []
        var rest = Substring(encoded)
        while !rest.isEmpty {
            lines.append(rest.prefix(76))
            rest = rest.dropFirst(76)
        }
        return lines.joined(separator: "\r\n")
    }
}

/// HTML for the small Markdown the review summaries and mails use: `#`/`##` headings, `-` and `1.` lists, paragraphs.
public enum MarkdownHTML {
    public static func render(_ markdown: String) -> String {
        var html: [String] = []
        var list: String?
        func closeList() {
            if let open = list { html.append("</\(open)>") }
            list = nil
        }
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("## ") {
                closeList()
                html.append("<h2>\(escape(String(line.dropFirst(3))))</h2>")
            } else if line.hasPrefix("# ") {
                closeList()
                html.append("<h1>\(escape(String(line.dropFirst(2))))</h1>")
            } else if line.hasPrefix("- ") {
                if list != "ul" { closeList(); html.append("<ul>"); list = "ul" }
                html.append("<li>\(escape(String(line.dropFirst(2))))</li>")
            } else if let dot = line.firstIndex(of: "."), dot != line.startIndex, line[..<dot].allSatisfy(\.isNumber),
                      line[line.index(after: dot)...].hasPrefix(" ") {
                if list != "ol" { closeList(); html.append("<ol>"); list = "ol" }
                html.append("<li>\(escape(String(line[line.index(dot, offsetBy: 2)...])))</li>")
            } else if line.trimmingCharacters(in: .whitespaces).isEmpty {
                closeList()
            } else {
                closeList()
                html.append("<p>\(escape(line))</p>")
            }
        }
        closeList()
        return html.joined(separator: "\n")
    }

    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
