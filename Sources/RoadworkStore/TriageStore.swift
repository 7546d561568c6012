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
    /// The newest untriaged reports with their suggestions: two round trips, whatever the number of reports. With a memo,
    /// suggestions kept at the organization's current match generation are reused and only the other reports are searched
    /// (in one statement); kept ones read their objections fresh (one more). The reports and the memo's generation share a
    /// round trip, so there are at most three.
    public func triageInbox(limit: Int, suggestions: Int = 3, memo: SuggestionMemo? = nil) throws -> [TriageItem] {
        // The search's generation is read with the reports, before searching: a search that sees a later change is kept
        // under an older generation and simply dropped.
        let (reports, generation) = try run(reportsRead(ReportFilter(triaged: false), mergedInto: nil, after: nil, limit: limit),
                                            StoreRead(sql: "SELECT generation FROM search_totals WHERE org_id = $1", parameters: [orgID]) {
                                                try $0.first?.decode("generation") ?? Int64(0)
                                            })
        guard let memo, !reports.isEmpty else {
            let found = try similarObjections(toEach: reports.map(\.summary), limit: suggestions)
            return zip(reports, found).map { TriageItem(report: $0, suggestions: $1) }
        }
        var found = memo.kept(orgID: orgID, generation: generation, reports: reports.map { ($0.id, $0.summary) }, limit: suggestions)
        let missing = reports.filter { found[$0.id] == nil }
        var objections: [UUID: Objection] = [:]
        if !missing.isEmpty {
            let searched = try similarObjections(toEach: missing.map(\.summary), limit: suggestions)
            var entries: [(id: UUID, kept: SuggestionMemo.Kept)] = []
            for (report, similar) in zip(missing, searched) {
                let kept = similar.map { SuggestionMemo.Found(objectionID: $0.objection.id, similarity: $0.similarity) }
                found[report.id] = kept
                entries.append((report.id, SuggestionMemo.Kept(summary: report.summary, limit: suggestions, found: kept)))
                for match in similar { objections[match.objection.id] = match.objection }
            }
            memo.keep(orgID: orgID, generation: generation, entries)
        }
        // Kept suggestions name objections whose counts may have moved since: read them again, open ones only.
        let stale = Set(found.values.joined().map(\.objectionID)).subtracting(objections.keys)
        if !stale.isEmpty {
            for row in try connection.query("SELECT \(Self.objectionColumns) FROM objections WHERE org_id = $1 AND id = ANY($2) AND status = 'open'",
                                            [orgID, Array(stale)]).rows {
                let objection = try Self.objection(from: row)
                objections[objection.id] = objection
            }
        }
        return reports.map { report in
            TriageItem(report: report, suggestions: (found[report.id] ?? []).compactMap { match in
                objections[match.objectionID].map { SimilarObjection(objection: $0, similarity: match.similarity) }
            })
        }
    }

    /// Triages each of the newest `limit` untriaged reports whose best suggestion is confident, as one triage each
    /// (audited, backlog kept as for any triage); reports triaged meanwhile by someone else are left as they are.
    public func acceptConfidentSuggestions(limit: Int, scoring: BacklogScoring, memo: SuggestionMemo? = nil) throws -> [AcceptedSuggestion] {
        try triageInbox(limit: limit, memo: memo).compactMap { item -> AcceptedSuggestion? in
            guard let best = item.confidentSuggestion,
                  let report = try triageReport(id: item.report.id, objectionID: best.objection.id, newObjection: nil, scoring: scoring,
                                                onlyIfUntriaged: true) else { return nil }
            return AcceptedSuggestion(report: report, objection: best.objection, similarity: best.similarity)
        }
    }
}
