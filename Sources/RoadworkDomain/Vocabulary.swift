import Foundation

/// Words and phrases an organization's people use for the same wall ("SSO, single sign-on, SAML, Okta"): the search
/// treats a text that says any of them as saying all of them.
public struct SynonymGroup: Sendable, Equatable, Codable {
    public let id: UUID
    public let terms: [String]
    public let version: Int
    public let createdAt: Date
    public let updatedAt: Date

    public init(id: UUID, terms: [String], version: Int, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.terms = terms
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A validated list of synonymous terms: trimmed, each named once (case aside), 2 to 30 of them.
public struct SynonymTerms: Sendable, Equatable {
    public static let maxTerms = 30
    public static let maxTermLength = 100

    public let terms: [String]

    public static func validate(_ terms: [String]?) throws(ValidationError) -> SynonymTerms {
        guard let terms else { throw ValidationError(field: "terms", "is required") }
        var check = Validator()
        var seen = Set<String>()
        var sent = Set<String>()
        var kept: [String] = []
        for (index, term) in terms.enumerated() {
            // The same term twice is a list the contract refuses (uniqueItems); the same word in another case is merged.
            if !sent.insert(term).inserted { check.fail("terms[\(index)]", "repeats an earlier term") }
            guard let text = check.text(term, field: "terms[\(index)]", max: maxTermLength) else { continue }
            if seen.insert(text.lowercased()).inserted { kept.append(text) }
        }
        try check.finish()
        if kept.count < 2 { check.fail("terms", "must name at least 2 different terms") }
        if kept.count > maxTerms { check.fail("terms", "must name at most \(maxTerms) terms") }
        try check.finish()
        return SynonymTerms(terms: kept)
    }

    /// Terms as a person types them in one field: "SSO, single sign-on, SAML".
    public static func split(commaSeparated text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }
    }
}

/// How sure the search is that a report is about its best-matching objection.
public enum MatchConfidence {
    /// The share of a text's meaning the best match must say.
    public static let minimumSimilarity = 0.5
    /// How far the best match must lead the runner-up.
    public static let minimumLead = 0.15

    /// Confident enough to triage without a person looking: the best match says at least half of what the report says and
    /// clearly beats the next one.
    public static func isConfident(best: Double, runnerUp: Double?) -> Bool {
        best >= minimumSimilarity && best - (runnerUp ?? 0) >= minimumLead
    }
}
