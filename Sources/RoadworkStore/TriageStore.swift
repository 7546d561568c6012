import Foundation
import PostgresClient
import RoadworkDomain

/// An untriaged report with the open objections it reads like, best first.
public struct TriageItem: Sendable {
    public let report: FieldReport
    public let suggestions: [SimilarObjection]

    /// The best suggestion when it is sure enough to accept without a look (`MatchConfidence`).
    public var confidentSuggestion: SimilarObjection? {
        guard let best = suggestions.first,
              MatchConfidence.isConfident(best: best.similarity, runnerUp: suggestions.dropFirst().first?.similarity) else { return nil }
        return best
    }
}

/// A report triaged by accepting its suggestion.
public struct AcceptedSuggestion: Sendable {
    public let report: FieldReport
    public let objection: Objection
    public let similarity: Double
}

extension Store {
    /// The newest untriaged reports with their suggestions: two statements, whatever the number of reports.
    public func triageInbox(limit: Int, suggestions: Int = 3) throws -> [TriageItem] {
        let reports = try reports(ReportFilter(triaged: false), after: nil, limit: limit)
        let found = try similarObjections(toEach: reports.map(\.summary), limit: suggestions)
        return zip(reports, found).map { TriageItem(report: $0, suggestions: $1) }
    }

    /// Triages each of the newest `limit` untriaged reports whose best suggestion is confident, as one triage each
    /// (audited, backlog kept as for any triage); reports triaged meanwhile by someone else are left as they are.
    public func acceptConfidentSuggestions(limit: Int, scoring: BacklogScoring) throws -> [AcceptedSuggestion] {
        try triageInbox(limit: limit).compactMap { item -> AcceptedSuggestion? in
            guard let best = item.confidentSuggestion,
                  let report = try triageReport(id: item.report.id, objectionID: best.objection.id, newObjection: nil, scoring: scoring,
                                                onlyIfUntriaged: true) else { return nil }
            return AcceptedSuggestion(report: report, objection: best.objection, similarity: best.similarity)
        }
    }
}
