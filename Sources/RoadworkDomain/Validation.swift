/// One bad field and what is wrong with it, as API clients and forms show it.
public struct FieldError: Sendable, Equatable, Codable {
    public let field: String
    public let message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// Input that breaks the rules, with every bad field listed (422).
public struct ValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let errors: [FieldError]

    /// "email must be an email address; name must not be blank", as the command line prints it.
    public var description: String { errors.map { "\($0.field) \($0.message)" }.joined(separator: "; ") }

    public init(_ errors: [FieldError]) { self.errors = errors }
    public init(field: String, _ message: String) { self.errors = [FieldError(field: field, message: message)] }
}

/// A field that names an object the organization does not have: 404, with the field named (a state the request's shape
/// cannot show, like a missing id in the path).
public struct MissingReference: Error, Sendable, Equatable {
    public let field: String
    public let what: String

    public init(field: String, _ what: String) {
        self.field = field
        self.what = what
    }
}

/// Collects field errors while checking a whole input, so the answer names every bad field at once.
public struct Validator: Sendable {
    public private(set) var errors: [FieldError] = []

    public init() {}

    public mutating func fail(_ field: String, _ message: String) {
        errors.append(FieldError(field: field, message: message))
    }

    /// Throws when any check failed.
    public func finish() throws(ValidationError) {
        if !errors.isEmpty { throw ValidationError(errors) }
    }

    /// Required text: at most `max` characters (Unicode code points, as JSON Schema's maxLength counts), not blank, trimmed.
    public mutating func text(_ value: String?, field: String, max: Int) -> String? {
        guard let value else { fail(field, "is required"); return nil }
        if value.unicodeScalars.count > max { fail(field, "must be at most \(max) characters"); return nil }
        let trimmed = value.trimmed
        if trimmed.isEmpty { fail(field, "must not be blank"); return nil }
        return trimmed
    }

    /// Optional text: nil or blank become nil; otherwise at most `max` characters, trimmed.
    public mutating func optionalText(_ value: String?, field: String, max: Int) -> String? {
        guard let value else { return nil }
        if value.unicodeScalars.count > max { fail(field, "must be at most \(max) characters"); return nil }
        let trimmed = value.trimmed
        return trimmed.isEmpty ? nil : trimmed
    }

    /// An email address, trimmed and lower-cased.
    public mutating func email(_ value: String?, field: String) -> String? {
        guard let text = text(value, field: field, max: 254) else { return nil }
        let email = text.lowercased()
        // Split on the scalar "@", not on Characters: a character that extends the one before it (an emoji skin tone,
        // a combining mark) would otherwise hide the "@" inside one Character.
        let parts = email.unicodeScalars.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), parts[1].first != ".", parts[1].last != ".",
              !email.unicodeScalars.contains(where: { $0.properties.isWhitespace }) else {
            fail(field, "must be an email address")
            return nil
        }
        return email
    }

    /// One of the five roles.
    public mutating func role(_ value: String?, field: String) -> Role? {
        guard let value else { fail(field, "is required"); return nil }
        guard let role = Role(rawValue: value) else {
            fail(field, "must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return role
    }

    /// A password of 8 to 72 characters (code points, as openapi.yaml counts; bcrypt itself reads the first 72 bytes).
    public mutating func password(_ value: String?, field: String) -> String? {
        guard let value else { fail(field, "is required"); return nil }
        let length = value.unicodeScalars.count
        if length < 8 { fail(field, "must be at least 8 characters"); return nil }
        if length > 72 { fail(field, "must be at most 72 characters"); return nil }
        return value
    }
}

extension String {
    /// The text without leading and trailing whitespace (Unicode White_Space code points and NUL, the set openapi.yaml's
    /// "not blank" pattern names).
    /// NUL (which PostgreSQL text cannot hold) is dropped wherever it is.
    public var trimmed: String {
        var scalars = Substring(self).unicodeScalars
        while let first = scalars.first, first.properties.isWhitespace || first == "\0" { scalars.removeFirst() }
        while let last = scalars.last, last.properties.isWhitespace || last == "\0" { scalars.removeLast() }
        guard scalars.contains("\0") else { return String(scalars) }
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: scalars.lazy.filter { $0 != "\0" })
        return String(kept)
    }
}
