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

    /// Required text, trimmed, at most `max` characters.
    public mutating func text(_ value: String?, field: String, max: Int) -> String? {
        guard let value else { fail(field, "is required"); return nil }
        let trimmed = value.trimmed
        if trimmed.isEmpty { fail(field, "must not be blank"); return nil }
        if trimmed.count > max { fail(field, "must be at most \(max) characters"); return nil }
        return trimmed
    }

    /// Optional text: nil or blank become nil; otherwise trimmed and at most `max` characters.
    public mutating func optionalText(_ value: String?, field: String, max: Int) -> String? {
        guard let trimmed = value?.trimmed, !trimmed.isEmpty else { return nil }
        if trimmed.count > max { fail(field, "must be at most \(max) characters"); return nil }
        return trimmed
    }

    /// An email address, trimmed and lower-cased.
    public mutating func email(_ value: String?, field: String) -> String? {
        guard let text = text(value, field: field, max: 254) else { return nil }
        let email = text.lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              !email.contains(where: { $0.isWhitespace }) else {
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

    /// A password of 8 to 72 bytes (bcrypt reads no further).
    public mutating func password(_ value: String?, field: String) -> String? {
        guard let value else { fail(field, "is required"); return nil }
        if value.count < 8 { fail(field, "must be at least 8 characters"); return nil }
        if value.utf8.count > 72 { fail(field, "must be at most 72 bytes"); return nil }
        return value
    }
}

extension String {
    /// The text without leading and trailing whitespace.
    public var trimmed: String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
