import Foundation
import Hummingbird
import RoadworkDomain

/// A decoded `application/x-www-form-urlencoded` body. Values a page's own form cannot send (text that is not UTF-8, an
/// id that is no id, a choice the form does not offer) are refused with a 4xx that says which field, never guessed.
struct Form {
    private var fields: [String: [String]] = [:]

    /// Reads and decodes a form post; a body that is not UTF-8, raw or percent-encoded, is a 400.
    init(_ request: Request, context: AppRequestContext) async throws {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        guard let body = String(validating: buffer.readableBytesView, as: UTF8.self) else { throw Self.notUTF8 }
        for pair in body.split(separator: "&") {
            let parts = try pair.split(separator: "=", maxSplits: 1).map { part -> String in
                guard let text = String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding else { throw Self.notUTF8 }
                return text
            }
            guard let key = parts.first else { continue }
            fields[key, default: []].append(parts.count > 1 ? parts[1] : "")
        }
    }

    private static let notUTF8 = Problem(status: .badRequest, detail: "This form's text is not valid UTF-8; send it again from the page.")

    subscript(_ key: String) -> String? { fields[key]?.first }

    /// Every value sent under `key` (a group of checkboxes).
    func all(_ key: String) -> [String] { fields[key] ?? [] }

    /// A field's value, or nil when it is missing or blank.
    func nonEmpty(_ key: String) -> String? { self[key].flatMap { $0.trimmed.isEmpty ? nil : $0 } }

    /// A number of days, nil when blank; text that is no whole number becomes 0, which the domain's range check refuses.
    func days(_ key: String) -> Int? { nonEmpty(key).map { Int($0.trimmed) ?? 0 } }

    /// An id the page put in the form: nil when blank, a 422 naming the field when it is no UUID.
    func uuid(_ key: String) throws -> UUID? {
        try nonEmpty(key).map { text in
            guard let id = UUID(uuidString: text.trimmed) else { throw Self.refused(key, "is not an id this page sent") }
            return id
        }
    }

    /// A whole number the page put in the form (a version, a step): nil when blank, a 422 when it is no number.
    func int(_ key: String) throws -> Int? {
        try nonEmpty(key).map { text in
            guard let number = Int(text.trimmed), (-1_000_000_000...1_000_000_000).contains(number) else { throw Self.refused(key, "is not a whole number") }
            return number
        }
    }

    /// A checkbox or yes/no choice: absent is false; "true"/"on" and "false"/"off" are the only answers.
    func bool(_ key: String) throws -> Bool? {
        guard let text = self[key] else { return nil }
        switch text {
        case "true", "on": return true
        case "false", "off": return false
        default: throw Self.refused(key, "must be true or false")
        }
    }

    /// One of the choices a select offers: nil when blank, a 422 when it is none of them.
    func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) throws -> T? where T.RawValue == String {
        try nonEmpty(key).map { text in
            guard let value = T(rawValue: text) else {
                throw Self.refused(key, "must be one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return value
        }
    }

    /// A field that must be there (an id in a hidden input, a step of a button).
    func required<T>(_ key: String, _ read: (String) throws -> T?) throws -> T {
        guard let value = try read(key) else { throw Self.refused(key, "is missing") }
        return value
    }

    static func refused(_ field: String, _ message: String) -> Problem {
        Problem(status: .unprocessableContent, detail: "The form's field “\(field)” \(message).", errors: [FieldError(field: field, message: message)])
    }
}
