import Mustache
import Synchronization

/// A page's template: every page names one of these, so a page without a template does not compile.
enum PageTemplate: String, CaseIterable, Sendable {
    case signin, home, report_new, triage, backlog, content, review, objection, item, admin, vocabulary, tokens, integrations
    case webhook, duplicates, mail_link, forgot, choose_password, preferences, `import`, sessions, review_record
}

/// The page templates, embedded in the binary and parsed once at start-up.
enum Templates {
    /// A template that is missing or does not parse, found when the server starts (it then does not start).
    struct Broken: Error, CustomStringConvertible {
        let name: String
        let reason: String
        var description: String { "template \(name).mustache \(reason)" }
    }

    static let sources: [String: [UInt8]] = [
        "layout": PackageResources.layout_mustache, "signin": PackageResources.signin_mustache,
        "home": PackageResources.home_mustache, "report_new": PackageResources.report_new_mustache,
        "triage": PackageResources.triage_mustache, "backlog": PackageResources.backlog_mustache,
        "content": PackageResources.content_mustache, "review": PackageResources.review_mustache,
        "objection": PackageResources.objection_mustache, "item": PackageResources.item_mustache,
        "admin": PackageResources.admin_mustache, "vocabulary": PackageResources.vocabulary_mustache,
        "tokens": PackageResources.tokens_mustache, "integrations": PackageResources.integrations_mustache,
        "webhook": PackageResources.webhook_mustache, "duplicates": PackageResources.duplicates_mustache,
        "mail_link": PackageResources.mail_link_mustache, "forgot": PackageResources.forgot_mustache,
        "choose_password": PackageResources.choose_password_mustache, "preferences": PackageResources.preferences_mustache,
        "import": PackageResources.import_mustache, "sessions": PackageResources.sessions_mustache,
        "deal_tally": PackageResources.deal_tally_mustache, "progress_bar": PackageResources.progress_bar_mustache,
        "review_record": PackageResources.review_record_mustache,
    ]

    /// The rows pages repeat, rendered by `RowTemplate` (and registered with the library as well, where tests render them
    /// to compare).
    enum Row: String, CaseIterable {
        case content_card, triage_row, objection_report, history_line, backlog_entry

        /// The file's text without its final line break, which editors add: rows follow each other on the page as the
        /// file's text ends.
        var source: String {
            let bytes = switch self {
            case .content_card: PackageResources.content_card_mustache
            case .triage_row: PackageResources.triage_row_mustache
            case .objection_report: PackageResources.objection_report_mustache
            case .history_line: PackageResources.history_line_mustache
            case .backlog_entry: PackageResources.backlog_entry_mustache
            }
            let text = String(decoding: bytes, as: UTF8.self)
            return text.hasSuffix("\n") ? String(text.dropLast()) : text
        }

        /// Parsed at start-up with the pages (`checkPageTemplates`).
        var template: RowTemplate {
            do { return try Templates.rows.get()[self]! } catch { fatalError("\(error)") }
        }
    }

    static let rows = Result { () throws -> [Row: RowTemplate] in
        var rows: [Row: RowTemplate] = [:]
        for row in Row.allCases {
            do { rows[row] = try RowTemplate(row.source) } catch {
                throw Broken(name: row.rawValue, reason: "is no row template: \(error)")
            }
        }
        return rows
    }

    /// Each page's template with the layout and its partials written in, rendered by `RowTemplate`: the Mustache library
    /// spends about 2 µs on each name a page looks up (a third of the home page's server CPU went to it). Pages fill the
    /// layout's one block, `{{$content}}`, and include partials on lines of their own; a page that does anything else
    /// stops the server at start-up. Debug builds render every page both ways and keep where they differ
    /// (`PageRenderingCheck`).
    static let pages = Result { () throws -> [PageTemplate: RowTemplate] in
        let texts = sources.mapValues { String(decoding: $0, as: UTF8.self) }
        var pages: [PageTemplate: RowTemplate] = [:]
        for page in PageTemplate.allCases {
            do { pages[page] = try RowTemplate(try flattened(page.rawValue, texts)) } catch let broken as Broken {
                throw broken
            } catch {
                throw Broken(name: page.rawValue, reason: "cannot be rendered without the Mustache library: \(error)")
            }
        }
        return pages
    }

    /// A page's text with the layout around it and each partial in place of its tag. As Mustache does, a partial on a
    /// line of its own replaces that line, each of its lines indented as the tag was; the line holding the page's opening
    /// tags leaves nothing.
    static func flattened(_ name: String, _ texts: [String: String]) throws -> String {
        guard var text = texts[name] else { throw Broken(name: name, reason: "is missing") }
        let opening = "{{<layout}}{{$content}}\n", closing = "{{/content}}{{/layout}}"
        if text.hasPrefix(opening) {
            guard let end = text.range(of: closing, options: .backwards), text[end.upperBound...].allSatisfy(\.isNewline),
                  let layout = texts["layout"], let slot = layout.range(of: "{{$content}}{{/content}}") else {
                throw Broken(name: name, reason: "does not end with \(closing), or the layout has no {{$content}}{{/content}}")
            }
            text = layout.replacingCharacters(in: slot, with: text[text.index(text.startIndex, offsetBy: opening.count)..<end.lowerBound])
        }
        var out = ""
        for line in RowTemplate.lines(of: text) {
            let indentation = line.prefix { $0 == " " || $0 == "\t" }
            let tag = line.dropFirst(indentation.count).trimmingCharacters(in: .newlines)
            guard tag.hasPrefix("{{>"), tag.hasSuffix("}}"), tag.dropFirst(3).firstIndex(of: "{") == nil else {
                out += line
                continue
            }
            let partial = try flattened(tag.dropFirst(3).dropLast(2).trimmingCharacters(in: .whitespaces), texts)
            for partialLine in RowTemplate.lines(of: partial) { out += indentation + partialLine }
        }
        return out
    }

    /// A page rendered from its flattened template, as UTF-8 bytes.
    static func render(_ page: PageTemplate, _ values: TemplateObject) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16_384)
        do { try pages.get()[page]!.render([values], page: nil, into: &out) } catch { fatalError("\(error)") }
        return out
    }

    /// Parses every template and checks each page's is there; `buildRouter` calls it, so a broken one stops start-up.
    static func load() throws -> MustacheLibrary {
        MustacheContentTypes.register(EscapedHTML(), named: EscapedHTML.name)
        var library = MustacheLibrary()
        let texts = sources.mapValues { String(decoding: $0, as: UTF8.self) }
        for (name, text) in texts.merging(Row.allCases.map { ($0.rawValue, $0.source) }, uniquingKeysWith: { page, _ in page }) {
            // Each template (and so each partial it includes) escapes its values with EscapedHTML.
            let source = "{{% CONTENT_TYPE: \(EscapedHTML.name) }}" + text
            do { try library.register(source, named: name) } catch {
                throw Broken(name: name, reason: "does not parse: \(error)")
            }
        }
        for name in ["layout", "deal_tally", "progress_bar"] + PageTemplate.allCases.map(\.rawValue) where library.getTemplate(named: name) == nil {
            throw Broken(name: name, reason: "is missing: add it to Sources/RoadworkHTTP/Resources/templates and Templates.sources")
        }
        return library
    }

    /// Parsed once: `checkPageTemplates` reports a failure; pages render from the library.
    static let loaded = Result { try load() }

    static var library: MustacheLibrary {
        do { return try loaded.get() } catch { fatalError("\(error)") }
    }
}

/// HTML escaping of the same five characters as Mustache's own, over UTF-8 bytes and only when one occurs: the library's
/// per-Character dictionary lookup was a fifth of the server's time on the review page. Pages escape with `append`, into
/// their buffer; `escapeText` is the library's, which renders pages only in debug builds, to compare.
struct EscapedHTML: MustacheContentType {
    static let name = "ROADWORK_HTML"

    /// `text`'s bytes appended to `out`, escaped: a page's values go straight into the page's buffer.
    static func append(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for (index, byte) in bytes.enumerated() {
                let entity: StaticString
                switch byte {
                case UInt8(ascii: "<"): entity = "&lt;"
                case UInt8(ascii: ">"): entity = "&gt;"
                case UInt8(ascii: "&"): entity = "&amp;"
                case UInt8(ascii: "\""): entity = "&quot;"
                case UInt8(ascii: "'"): entity = "&#39;"
                default: continue
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                entity.withUTF8Buffer { out.append(contentsOf: $0) }
                start = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
    }

    func escapeText(_ text: String) -> String {
        var escaped: [UInt8] = []
        escaped.reserveCapacity(text.utf8.count + 16)
        Self.append(text, to: &escaped)
        return String(decoding: escaped, as: UTF8.self)
    }
}

/// Templates show a section only when a list has a first element ("{{#reports.0}}"). Mustache looks children up by name
/// (a dictionary's key, a struct's property), which an array does not have, so without this such sections never showed.
extension Array: @retroactive MustacheParent {
    public func child(named name: String) -> Any? { Int(name).flatMap { indices.contains($0) ? self[$0] : nil } }
}

/// A page's values as Mustache reads them fastest. Every name Mustache looks up asks each object on its stack, by a
/// dynamic cast, whether it can give children; a dictionary answers through a conditional conformance (`Key == String`),
/// which the runtime checks anew on every cast (5–11% of the triage page's server CPU). Pages build dictionaries; `page`
/// hands Mustache this wrapper instead, for every dictionary at any depth (the rendered text is the same).
struct TemplateObject: MustacheParent {
    let fields: [String: Any]

    init(_ values: [String: Any]) {
        fields = values.mapValues(Self.wrapped)
    }

    func child(named name: String) -> Any? { fields[name] }

    private static func wrapped(_ value: Any) -> Any {
        switch value {
        case let object as [String: Any]: TemplateObject(object)
        case let list as [Any]: list.map(wrapped)
        case let text as String: TemplateText(text: text)
        case let number as Int: TemplateText(text: String(number))
        default: value
        }
    }
}

/// A text or number as Mustache prints it fastest. A plain value is printed through `String(describing:)` after two more
/// dynamic casts that fail (a custom rendering, an optional); this one answers the first cast Mustache tries. As a section's
/// object it has no children, so names inside the section are looked up further out, as they are for a plain string,
/// without reflecting on the value.
struct TemplateText: MustacheCustomRenderable, MustacheParent {
    let text: String
    var renderText: String { text }
    var isNull: Bool { false }
    func child(named name: String) -> Any? { nil }
}

#if DEBUG
/// Debug builds (the tests) render each page through the Mustache library too, from the templates as written, and keep
/// where that differs from what the page sent: `PageRenderTests` fails on any difference.
enum PageRenderingCheck {
    static let differences = Mutex<[String]>([])

    static func compare(_ page: PageTemplate, _ html: String, library: () -> String) {
        let expected = library()
        guard html != expected else { return }
        let same = zip(html.utf8, expected.utf8).prefix { $0 == $1 }.count
        let excerpt = { (text: String) in String(decoding: text.utf8.dropFirst(max(0, same - 40)).prefix(120), as: UTF8.self) }
        differences.withLock { $0.append("\(page.rawValue) at byte \(same): sent …\(excerpt(html))… library …\(excerpt(expected))…") }
    }
}
#endif

/// A raw value as people read it ("in_review" → "in review"), byte by byte: Foundation's `replacingOccurrences`, called
/// once a card, was a sixth of the content board's server CPU.
func spaced(_ raw: String) -> String {
    guard raw.utf8.contains(UInt8(ascii: "_")) else { return raw }
    return String(decoding: raw.utf8.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
}
