import Mustache

/// The template of a row a page repeats fifty or a hundred times (an inbox row, a board card), and of each whole page once
/// its layout and partials are written in (`Templates.pages`), rendered without the Mustache library's per-name dynamic
/// casts: about 2 µs a name there, most of a long page's server CPU. A row template
/// is a Mustache file using values, `{{{raw values}}}`, sections, inverted sections and comments, with Mustache's
/// rules for lines that hold only a section tag or a comment; a row answers names as a `MustacheParent` (a `switch`), and
/// names it does not have are looked up among the page's own values, as Mustache's stack would. `RowTemplatesTests`
/// renders every row both ways and compares the text.
struct RowTemplate: Sendable {
    indirect enum Node: Sendable {
        case text(String)
        case value(path: [String], escaped: Bool)
        case section(path: [String], inverted: Bool, body: [Node])
    }

    /// A row template using what only the Mustache library renders (partials, blocks, delimiters), or not well formed.
    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    let nodes: [Node]

    init(_ source: String) throws {
        var stack: [(path: [String]?, name: String, inverted: Bool, nodes: [Node])] = [(nil, "", false, [])]
        func add(_ node: Node) { stack[stack.count - 1].nodes.append(node) }
        for line in Self.lines(of: source) {
            let pieces = try Self.pieces(of: line)
            let tags = pieces.filter { if case .tag = $0 { true } else { false } }
            // A line with one section, closing or comment tag and only blanks around it leaves no text (Mustache's
            // "standalone" rule), line break included.
            let standalone: Bool = {
                guard tags.count == 1, case .tag(let sigil, _) = tags[0], "#^/!".contains(sigil) else { return false }
                return pieces.allSatisfy { if case .text(let text) = $0 { text.allSatisfy { $0 == " " || $0 == "\t" || $0.isNewline } } else { true } }
            }()
            for piece in pieces {
                switch piece {
                case .text(let text):
                    if !standalone { add(.text(text)) }
                case .tag(let sigil, let name):
                    switch sigil {
                    case "!": break
                    case "#", "^": stack.append((Self.path(name), name, sigil == "^", []))
                    case "/":
                        guard stack.count > 1, stack[stack.count - 1].name == name, let open = stack.popLast(), let path = open.path else {
                            throw Refused(description: "{{/\(name)}} closes no open section")
                        }
                        add(.section(path: path, inverted: open.inverted, body: open.nodes))
                    case "{", "&": add(.value(path: Self.path(name), escaped: false))
                    case "": add(.value(path: Self.path(name), escaped: true))
                    default: throw Refused(description: "{{\(sigil)\(name)}}: a row template has values, sections and comments only")
                    }
                }
            }
        }
        guard stack.count == 1 else { throw Refused(description: "{{#\(stack[stack.count - 1].name)}} is never closed") }
        nodes = Self.merged(stack[0].nodes)
    }

    /// The rows as one text: each row answers names first, then `page` (the page's values), and a section's value
    /// before both.
    func render(_ rows: [any MustacheParent], page: (any MustacheParent)?) -> String {
        var out: [UInt8] = []
        render(rows, page: page, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The rows' bytes appended to `out`: a page and the rows it prints go into one buffer, without a text for each.
    func render(_ rows: [any MustacheParent], page: (any MustacheParent)?, into out: inout [UInt8]) {
        var stack: [any MustacheParent] = page.map { [$0] } ?? []
        for row in rows {
            stack.append(row)
            Self.render(nodes, stack: &stack, into: &out)
            stack.removeLast()
        }
    }

    private static func render(_ nodes: [Node], stack: inout [any MustacheParent], into out: inout [UInt8]) {
        for node in nodes {
            switch node {
            case .text(let text):
                out.append(contentsOf: text.utf8)
            case .value(let path, let escaped):
                guard let value = lookUp(path, in: stack) else { continue }
                // Rows a page prints go straight into its buffer, with the page's values under them.
                if let rows = value as? RenderedRows, !escaped {
                    rows.template.render(rows.rows, page: PageValues.current?.values, into: &out)
                    continue
                }
                let text = printed(value)
                if escaped { EscapedHTML.append(text, to: &out) } else { out.append(contentsOf: text.utf8) }
            case .section(let path, let inverted, let body):
                let value = lookUp(path, in: stack)
                if inverted {
                    if isEmpty(value) { render(body, stack: &stack, into: &out) }
                    continue
                }
                switch value {
                case .none: continue
                case let flag as Bool: if flag { render(body, stack: &stack, into: &out) }
                case let list as [Any]:
                    for element in list { renderPushed(element, body, stack: &stack, into: &out) }
                case let renderable as MustacheCustomRenderable where renderable.isNull: continue
                case .some(let value): renderPushed(value, body, stack: &stack, into: &out)
                }
            }
        }
    }

    /// A section's value on top of the stack while its body renders; a value with no names of its own (a text, a number)
    /// adds none, so names inside are found further down, as Mustache finds them.
    private static func renderPushed(_ value: Any, _ body: [Node], stack: inout [any MustacheParent], into out: inout [UInt8]) {
        guard let parent = value as? any MustacheParent else { return render(body, stack: &stack, into: &out) }
        stack.append(parent)
        render(body, stack: &stack, into: &out)
        stack.removeLast()
    }

    private static func lookUp(_ path: [String], in stack: [any MustacheParent]) -> Any? {
        guard let first = path.first else { return stack.last }  // "." is the innermost value
        var found: Any?
        for object in stack.reversed() {
            if let child = object.child(named: first) {
                found = child
                break
            }
        }
        for name in path.dropFirst() {
            guard let parent = found as? any MustacheParent else { return nil }
            found = parent.child(named: name)
        }
        return found
    }

    /// A value as Mustache prints it: a custom rendering's text, a string as it is, anything else as `String(describing:)`.
    private static func printed(_ value: Any) -> String {
        switch value {
        case let text as TemplateText: text.text
        case let text as String: text
        case let number as Int: String(number)
        case let flag as Bool: flag ? "true" : "false"
        case let renderable as MustacheCustomRenderable: renderable.renderText
        default: String(describing: value)
        }
    }

    /// What an inverted section shows for: nothing, false, an empty list or a null rendering.
    private static func isEmpty(_ value: Any?) -> Bool {
        switch value {
        case .none: true
        case let flag as Bool: !flag
        case let list as [Any]: list.isEmpty
        case let renderable as MustacheCustomRenderable: renderable.isNull
        default: false
        }
    }

    private enum Piece {
        case text(String)
        case tag(sigil: String, name: String)
    }

    /// The source's lines, each with its line break.
    static func lines(of source: String) -> [Substring] {
        var lines: [Substring] = []
        var start = source.startIndex
        while start < source.endIndex {
            let end = source[start...].firstIndex(of: "\n").map { source.index(after: $0) } ?? source.endIndex
            lines.append(source[start..<end])
            start = end
        }
        return lines
    }

    /// A line as text and tags; a tag does not span lines in a row template.
    private static func pieces(of line: Substring) throws -> [Piece] {
        var pieces: [Piece] = []
        var rest = line
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { pieces.append(.text(String(rest[..<open.lowerBound]))) }
            let triple = rest[open.upperBound...].hasPrefix("{")
            let closer = triple ? "}}}" : "}}"
            guard let close = rest[open.upperBound...].range(of: closer) else {
                throw Refused(description: "a tag is not closed on its line: \(line.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            var inside = rest[open.upperBound..<close.lowerBound]
            var sigil = ""
            if let first = inside.first, "#^/!{&>$<=%".contains(first) {
                sigil = String(first)
                inside = inside.dropFirst()
            }
            pieces.append(.tag(sigil: sigil, name: inside.trimmingCharacters(in: .whitespaces)))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { pieces.append(.text(String(rest))) }
        return pieces
    }

    private static func path(_ name: String) -> [String] {
        name == "." ? [] : name.split(separator: ".").map(String.init)
    }

    /// Neighbouring texts as one.
    private static func merged(_ nodes: [Node]) -> [Node] {
        var result: [Node] = []
        for node in nodes {
            switch node {
            case .text(let text):
                if case .text(let before) = result.last { result[result.count - 1] = .text(before + text) } else { result.append(node) }
            case .section(let path, let inverted, let body):
                result.append(.section(path: path, inverted: inverted, body: merged(body)))
            case .value:
                result.append(node)
            }
        }
        return result
    }
}

/// Rows a page shows through a row template, printed where the page writes `{{{name}}}`. They are rendered when Mustache
/// prints them, inside `Web.page`, which lends them the page's values (the CSRF token, the viewer's role).
struct RenderedRows: MustacheCustomRenderable {
    let template: RowTemplate
    let rows: [any MustacheParent]

    var renderText: String { template.render(rows, page: PageValues.current?.values) }

    var isNull: Bool { rows.isEmpty }
}

/// The values of the page Mustache is rendering, for the rows it prints. Only read while `Web.page` renders, on the task
/// that set them, so sharing them is safe although a page's values are not `Sendable`.
final class PageValues: @unchecked Sendable {
    @TaskLocal static var current: PageValues?

    let values: any MustacheParent

    init(_ values: any MustacheParent) { self.values = values }
}
