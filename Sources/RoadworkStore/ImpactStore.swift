import Foundation
import PostgresClient
import RoadworkDomain

extension Store {
    /// Did the wall stop? Each bite published for the objection (or for an objection merged into it), with the distinct
    /// accounts that reported the wall in each week of its window, and reps' verdicts; nil when there is no such objection.
    /// One statement, through the objection's own report index.
    public func wallImpact(objectionID: UUID, today: Day) throws -> WallImpact? {
        guard try objection(id: objectionID) != nil else { return nil }
        let rows = try connection.query(
            """
            WITH RECURSIVE family AS (
                SELECT $2::uuid AS id
                UNION SELECT o.id FROM objections o JOIN family f ON o.merged_into_id = f.id WHERE o.org_id = $1
            ), publications AS (
                SELECT c.id, c.title, c.url, (c.published_at AT TIME ZONE 'UTC')::date AS day FROM content_items c
                WHERE c.org_id = $1 AND c.published_at IS NOT NULL AND c.objection_id IN (SELECT id FROM family)
            ), weeks AS (
                SELECT p.id, floor((r.occurred_on - p.day) / 7.0)::integer AS week, count(DISTINCT r.account_key)::integer AS accounts
                FROM publications p JOIN field_reports r ON r.org_id = $1 AND r.counted_objection_id = $2
                    AND r.occurred_on >= p.day - 7 * $3 AND r.occurred_on < p.day + 7 * $3 AND r.occurred_on <= $4::date
                GROUP BY p.id, week
            ), verdicts AS (
                SELECT content_id, count(*) FILTER (WHERE helpful)::integer AS helpful, count(*) FILTER (WHERE NOT helpful)::integer AS not_helpful
                FROM content_feedback WHERE org_id = $1 AND content_id IN (SELECT id FROM publications) GROUP BY content_id
            )
            SELECT p.id, p.title, p.url, p.day, coalesce(v.helpful, 0) AS helpful, coalesce(v.not_helpful, 0) AS not_helpful, w.week, w.accounts
            FROM publications p LEFT JOIN verdicts v ON v.content_id = p.id LEFT JOIN weeks w ON w.id = p.id
            ORDER BY p.day, p.id, w.week
            """,
            [orgID, objectionID, WallImpact.window, today]
        ).rows
        let verdicts = { (row: Row) in (helpful: try row.decode("helpful", as: Int.self), notHelpful: try row.decode("not_helpful", as: Int.self)) }
        return WallImpact(objectionID: objectionID, publications: try Self.publications(rows, today: today, verdicts: verdicts).map(\.publication))
    }

    /// Folds rows of (bite, week, distinct accounts) — one per week that had reports, bites in order — into each bite's
    /// figures; `verdicts` reads the reps' helpful and not-helpful counts of a bite's first row, `extra` anything else.
    static func publications<Extra>(_ rows: [Row], today: Day, verdicts: (Row) throws -> (helpful: Int, notHelpful: Int) = { _ in (0, 0) },
                                    extra: (Row) throws -> Extra = { _ in () }) throws -> [(publication: WallImpact.Publication, extra: Extra)] {
        var order: [UUID] = []
        var found: [UUID: (title: String, url: String?, day: Day, verdicts: (helpful: Int, notHelpful: Int), extra: Extra, weeks: [Int: Int])] = [:]
        for row in rows {
            let id: UUID = try row.decode("id")
            if found[id] == nil {
                order.append(id)
                found[id] = (try row.decode("title"), try row.decode("url"), try row.decode("day"), try verdicts(row), try extra(row), [:])
            }
            if let week: Int = try row.decode("week") { found[id]!.weeks[week] = try row.decode("accounts") }
        }
        return order.map { id in
            let bite = found[id]!
            return (WallImpact.Publication(contentID: id, title: bite.title, url: bite.url, publishedOn: bite.day, accountsByWeek: bite.weeks,
                                           helpful: bite.verdicts.helpful, notHelpful: bite.verdicts.notHelpful, today: today), bite.extra)
        }
    }
}
