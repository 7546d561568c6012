/// CSV for spreadsheets (RFC 4180): fields with a comma, quote or line break are quoted and their quotes doubled, lines
/// end in CRLF. A text field that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return) gets a leading apostrophe, so a report summary cannot become `=HYPERLINK(…)` in someone's Excel.
public enum CSV {
    /// Excel reads a file as UTF-8 only when it starts with this.
    public static let byteOrderMark = "\u{FEFF}"

    /// One line of fields, nil written as an empty field.
    public static func line(_ fields: [String?]) -> String {
        fields.map { field($0) }.joined(separator: ",") + "\r\n"
    }

    /// One field, neutralised and quoted as needed.
    public static func field(_ value: String?) -> String {
        guard var text = value, !text.isEmpty else { return "" }
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), !isNumber(text) {
            text = "'" + text
        }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        var quoted = "\""
        for character in text {
            quoted.append(character)
            if character == "\"" { quoted.append("\"") }
        }
        return quoted + "\""
    }

    /// A plain number such as `-12.5` is data, not a formula, and stays as it is.
    static func isNumber(_ text: String) -> Bool {
        var rest = Substring(text)
        if rest.first == "-" { rest = rest.dropFirst() }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        return !rest.isEmpty && parts.count <= 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    }
}
