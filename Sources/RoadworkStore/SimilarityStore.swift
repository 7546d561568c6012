import Foundation
import PostgresClient
import RoadworkDomain

/// An open objection that reads like a given text: `similarity` is the share of the text's meaning it says (0–1).
public struct SimilarObjection: Sendable {
    public let objection: Objection
    public let similarity: Double
}

/// Two open objections that read alike: merging `source` (fewer reports) into `target` is suggested.
public struct DuplicateObjections: Sendable {
    public let source: Objection
    public let target: Objection
    public let similarity: Double
}

extension Store {
    /// Open objections that read like `text`, best first (migration 0010 says how a wall is recognised).
    public func similarObjections(to text: String, limit: Int = 5) throws -> [SimilarObjection] {
        guard let search = Self.similarSearch(text, limit: limit) else { return [] }
        return try Self.similar(from: connection.query(search.sql, search.parameters))
    }

    /// The best open objections for each text, in one statement whatever the number of texts.
    public func similarObjections(toEach texts: [String], limit: Int) throws -> [[SimilarObjection]] {
        guard !texts.isEmpty else { return [] }
        let rows = try connection.query(Self.matchSQL, [texts.map { String($0.prefix(Self.searchedLength)) }, limit]).rows
        var found = Array(repeating: [SimilarObjection](), count: texts.count)
        for row in rows {
            let index: Int = try row.decode("query_no")
            found[index - 1].append(try Self.similar(row))
        }
        return found
    }

    /// Open objections that read like another one, for the newest `limit` open objections (those made while triaging are
    /// the likely duplicates), each pair once, most alike first.
    public func duplicateObjections(limit: Int = 40, minimumSimilarity: Double = 0.6) throws -> [DuplicateObjections] {
        let rows = try connection.query(
            """
            WITH newest AS (
                SELECT array_agg(id ORDER BY created_at DESC, id DESC) AS ids, array_agg(statement ORDER BY created_at DESC, id DESC) AS texts
                FROM (SELECT id, statement, created_at FROM objections WHERE org_id = $1 AND status = 'open'
                      ORDER BY created_at DESC, id DESC LIMIT $2) n),
            pairs AS (
                SELECT DISTINCT ON (least(n.ids[m.query_no], m.id), greatest(n.ids[m.query_no], m.id))
                       n.ids[m.query_no] AS a, m.id AS b, m.similarity
                FROM newest n CROSS JOIN LATERAL roadwork_match_objections(n.texts, 3) m
                WHERE m.id <> n.ids[m.query_no] AND m.similarity >= $3
                ORDER BY least(n.ids[m.query_no], m.id), greatest(n.ids[m.query_no], m.id), m.similarity DESC)
            SELECT p.similarity, \(Self.objectionColumnsAsA),
                   \(Self.objectionColumnsOfO)
            FROM pairs p JOIN objections a ON a.id = p.a JOIN objections o ON o.id = p.b
            ORDER BY p.similarity DESC, a.id LIMIT 20
            """,
            [orgID, limit, minimumSimilarity]
        ).rows
        return try rows.map { row in
            let first = try Self.objection(from: PrefixedRow(row, "a_"))
            let second = try Self.objection(from: row)
            // The wall with fewer reports is merged into the one with more (ties: the older one stays).
            let firstStays = (first.reportCount, second.createdAt) > (second.reportCount, first.createdAt)
            return DuplicateObjections(source: firstStays ? second : first, target: firstStays ? first : second,
                                       similarity: try row.decode("similarity"))
        }
    }

    /// The objection columns of the alias `a`, named `a_…`, for rows that carry two objections (built once).
    static let objectionColumnsAsA = objectionColumns.split(separator: ",")
        .map { "a.\(String($0).trimmed) AS a_\(String($0).trimmed)" }.joined(separator: ", ")

    /// How much of a text the search reads: more than a report's summary never changes its meaning.
    static let searchedLength = 2000

    /// The statement that finds objections like `text`, to run alone or in a pipeline; nil when there is no text.
    static func similarSearch(_ text: String, limit: Int) -> (sql: String, parameters: [any PostgresEncodable])? {
        let text = String(text.prefix(searchedLength))
        guard !text.trimmed.isEmpty else { return nil }
        return (matchSQL, [[text], limit])
    }

    // The search runs in a function owned by the schema owner: it counts words across the organization's objections.
    // It returns each text's objections best first, with their columns; one text is a batch of one.
    private static let matchSQL = "SELECT query_no, \(objectionColumns), similarity FROM roadwork_match_objections($1::text[], $2)"

    static func similar(from result: QueryResult) throws -> [SimilarObjection] {
        try result.rows.map(similar)
    }

    private static func similar(_ row: Row) throws -> SimilarObjection {
        SimilarObjection(objection: try objection(from: row), similarity: try row.decode("similarity"))
    }
}
