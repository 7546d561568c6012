import Foundation
import PostgresClient
import RoadworkDomain

/// What the database did with an import's valid rows.
public struct ImportOutcome: Sendable {
    public let imported: Int
    public let duplicates: Int
    public let matchedObjections: Int
}

/// An upload from the import page, waiting to be mapped and imported.
public struct ImportUpload: Sendable {
    public let id: UUID
    public let fileName: String
    public let data: [UInt8]
    public let createdAt: Date
}

extension Store {
    /// Files every valid row `produce` hands over (chunks, until nil) as reports by the actor, in this transaction: each
    /// chunk is streamed with COPY into a scratch table, then inserted in one statement that skips rows imported before
    /// (same fingerprint, in this file or an earlier one) and files a row naming an open objection's statement against
    /// it, adding it to the objection's per-account and per-rep rows as filing does. The touched objections' totals then
    /// follow from those rows.
    public func importReports(_ produce: () throws -> [ImportedReport]?) throws -> ImportOutcome {
        try connection.query(
            """
            CREATE TEMP TABLE import_rows (line integer, summary text, account text, deal_amount numeric, stage text, competitor text,
                                           persona text, industry text, product text, occurred_on date, objection text) ON COMMIT DROP
            """)
        // What the imported reports add to their walls' per-account and per-rep rows, gathered here until the end, when
        // each wall is locked before its rows are written: the order filing takes them in, and a filing waits on the
        // import only from then until it commits.
        try connection.query(
            """
            CREATE TEMP TABLE import_accounts (objection_id uuid, account_key text, last_day date, max_amount numeric, reports integer,
                                               PRIMARY KEY (objection_id, account_key)) ON COMMIT DROP
            """)
        try connection.query(
            """
            CREATE TEMP TABLE import_reporters (objection_id uuid, user_id uuid, reports integer, PRIMARY KEY (objection_id, user_id))
                ON COMMIT DROP
            """)
        var valid = 0, imported = 0, matched = 0, chunks = 0
        var optimistic = true
        var touched: [UUID: Int] = [:]
        while let rows = try produce() {
            valid += rows.count
            chunks += 1
            var text = ""
            text.reserveCapacity(rows.count * 160)
            for row in rows { Self.appendCopyLine(row, to: &text) }
            var pending: String? = text
            try connection.copyIn("COPY import_rows FROM STDIN") { defer { pending = nil }; return pending }
            let (row, fellBack) = try insertChunk(optimistically: optimistic && chunks <= Self.optimisticChunks)
            // A file with a row imported before probably has more: its later chunks skip them from the start.
            if fellBack { optimistic = false }
            imported += try row.decode("imported") as Int
            matched += try row.decode("matched") as Int
            for (id, count) in zip(try row.decode("objections") as [UUID], try row.decode("counts") as [Int]) { touched[id, default: 0] += count }
            try connection.query("TRUNCATE import_rows")
        }
        // Each touched wall, locked, gets what its reports add to its per-account and per-rep rows, and its totals follow
        // from those rows. Many walls at once are rebuilt from scratch in a few set-based statements over the organization.
        if touched.count > 200 {
            try rebuildAllAggregates()
        } else {
            let scoring = try scoring()
            // In the order of their ids, as another import of the same walls locks them.
            for (id, count) in touched.sorted(by: { $0.key.uuidString < $1.key.uuidString }) {
                try connection.query("SELECT 1 FROM objections WHERE id = $1 FOR NO KEY UPDATE", [id])
                try connection.query(Self.addImportedCountsSQL, [orgID, id])
                try refreshTotals(objectionID: id, addedReports: count, scoring: scoring)
            }
        }
        return ImportOutcome(imported: imported, duplicates: valid - imported, matchedObjections: matched)
    }

    /// Inserts the scratch table's rows. Most chunks hold no row imported before: `optimistically`, they are inserted in a
    /// savepoint without `ON CONFLICT`, whose look-up of each fingerprint before a speculative insert made the bench's
    /// import about a quarter slower. A row imported before, or twice in the file, then fails on the unique fingerprint
    /// and the chunk goes again with `ON CONFLICT DO NOTHING`, which skips it (`fellBack`).
    private func insertChunk(optimistically: Bool) throws -> (row: Row, fellBack: Bool) {
        guard optimistically else { return (try connection.query(Self.importSQL(skippingImported: true), [orgID, actorID]).first!, false) }
        try connection.query("SAVEPOINT import_chunk")
        var fellBack = false
        let row: Row
        do {
            row = try connection.query(Self.importSQL(skippingImported: false), [orgID, actorID]).first!
        } catch PostgresError.server(let error) where error.sqlState == .uniqueViolation && error.constraint == "field_reports_import_fingerprint_key" {
            try connection.query("ROLLBACK TO SAVEPOINT import_chunk")
            row = try connection.query(Self.importSQL(skippingImported: true), [orgID, actorID]).first!
            fellBack = true
        }
        try connection.query("RELEASE SAVEPOINT import_chunk")
        return (row, fellBack)
    }

    /// Each savepoint that writes keeps a subtransaction id until the import commits, and past 64 of them every other
    /// session's snapshot has to look them up in pg_subtrans: at most 60 chunks (1.2M rows), plus one that fell back.
    static let optimisticChunks = 60

    private static func importSQL(skippingImported: Bool) -> String {
        """
        WITH matched AS (
            SELECT DISTINCT ON (lower(statement)) lower(statement) AS key, id FROM objections
            WHERE org_id = $1 AND status = 'open' AND lower(statement) IN (SELECT DISTINCT lower(btrim(objection)) FROM import_rows)
            ORDER BY lower(statement), created_at
        ), filed AS (
            INSERT INTO field_reports (org_id, reporter_id, summary, account, deal_amount, stage, competitor, persona, industry,
                                       product, occurred_on, objection_id, counted_objection_id, triaged_by, triaged_at,
                                       import_fingerprint)
            SELECT $1, $2, r.summary, r.account, r.deal_amount, r.stage, r.competitor, r.persona, r.industry, r.product,
                   r.occurred_on, m.id, m.id, CASE WHEN m.id IS NOT NULL THEN $2::uuid END, CASE WHEN m.id IS NOT NULL THEN now() END,
                   md5(concat_ws(chr(31), r.summary, lower(btrim(r.account)), r.occurred_on, r.deal_amount, r.stage, r.competitor,
                                 r.persona, r.industry, r.product, lower(btrim(r.objection))))::uuid
            FROM import_rows r LEFT JOIN matched m ON m.key = lower(btrim(r.objection))
            \(skippingImported ? "ON CONFLICT (org_id, import_fingerprint) WHERE import_fingerprint IS NOT NULL DO NOTHING" : "")
            RETURNING id, counted_objection_id, account_key, occurred_on, deal_amount, reporter_id
        ), taught AS (
            INSERT INTO teaching_queue (report_id, org_id) SELECT id, $1 FROM filed WHERE counted_objection_id IS NOT NULL
            ON CONFLICT DO NOTHING
        ), counted AS (
            -- What each report adds to its wall's per-account and per-rep rows, as filing it would (countingStatement).
            SELECT f.counted_objection_id AS objection_id, f.account_key, f.occurred_on, f.deal_amount, f.reporter_id
            FROM filed f JOIN objections o ON o.id = f.counted_objection_id
            WHERE o.counted_since IS NULL OR f.occurred_on >= o.counted_since
        ), accounts AS (
            INSERT INTO import_accounts (objection_id, account_key, last_day, max_amount, reports)
            SELECT objection_id, account_key, max(occurred_on), coalesce(max(deal_amount), 0), count(*) FROM counted
            GROUP BY objection_id, account_key
            \(addingToAccountRow(of: "import_accounts"))
        ), reporters AS (
            INSERT INTO import_reporters (objection_id, user_id, reports)
            SELECT objection_id, reporter_id, count(*) FROM counted GROUP BY objection_id, reporter_id
            \(addingToReporterRow(of: "import_reporters"))
        ), walls AS (
            SELECT counted_objection_id AS id, count(*)::integer AS n FROM filed WHERE counted_objection_id IS NOT NULL GROUP BY 1
        )
        SELECT (SELECT count(*)::integer FROM filed) AS imported, (SELECT count(counted_objection_id)::integer FROM filed) AS matched,
               coalesce((SELECT array_agg(id ORDER BY id) FROM walls), '{}') AS objections,
               coalesce((SELECT array_agg(n ORDER BY id) FROM walls), '{}') AS counts
        """
    }

    /// Adds what the import gathered for one (locked) wall to its per-account and per-rep rows.
    private static let addImportedCountsSQL = """
        WITH accounts AS (
            INSERT INTO objection_accounts (org_id, objection_id, account_key, last_day, max_amount, reports)
            SELECT $1, objection_id, account_key, last_day, max_amount, reports FROM import_accounts WHERE objection_id = $2
            \(addingToAccountRow(of: "objection_accounts")))
        INSERT INTO objection_reporters (org_id, objection_id, user_id, reports)
        SELECT $1, objection_id, user_id, reports FROM import_reporters WHERE objection_id = $2
        \(addingToReporterRow(of: "objection_reporters"))
        """

    /// Records the import as one audited change, with its summary.
    public func recordImport(fileName: String, summary: ImportSummary) throws {
        try audit("reports.imported", "report_import", nil, before: Nothing?.none,
                  after: ImportAudit(fileName: fileName, rows: summary.rows, imported: summary.imported, duplicates: summary.duplicates,
                                     failed: summary.failed, matchedObjections: summary.matchedObjections))
    }

    /// The mapping this organization used last, to start the next import from.
    public func rememberedMapping() throws -> ImportMapping? {
        guard let text: String = try connection.query("SELECT mapping::text AS m FROM import_mappings WHERE org_id = $1", [orgID]).first?.decode("m")
        else { return nil }
        return try? JSONDecoder().decode(ImportMapping.self, from: Data(text.utf8))
    }

    public func rememberMapping(_ mapping: ImportMapping) throws {
        let text = String(decoding: try JSONEncoder().encode(mapping), as: UTF8.self)
        try connection.query(
            """
            INSERT INTO import_mappings (org_id, mapping, updated_by) VALUES ($1, $2::jsonb, $3)
            ON CONFLICT (org_id) DO UPDATE SET mapping = EXCLUDED.mapping, updated_by = EXCLUDED.updated_by, updated_at = now()
            """,
            [orgID, text, actorID]
        )
    }

    /// Keeps an upload from the import page (the person's own; uploads older than a day are dropped).
    public func saveUpload(fileName: String, data: [UInt8]) throws -> UUID {
        try connection.query("DELETE FROM import_uploads WHERE org_id = $1 AND created_at < now() - interval '1 day'", [orgID])
        let id: UUID = try connection.query(
            "INSERT INTO import_uploads (org_id, user_id, file_name, data_base64) VALUES ($1, $2, $3, $4) RETURNING id",
            [orgID, actorID, fileName, Data(data).base64EncodedString()]
        ).first!.decode("id")
        try audit("import.uploaded", "import_upload", id, before: Nothing?.none, after: ["file_name": fileName, "bytes": String(data.count)])
        return id
    }

    public func upload(id: UUID) throws -> ImportUpload? {
        try connection.query(
            "SELECT id, file_name, data_base64, created_at FROM import_uploads WHERE org_id = $1 AND id = $2 AND user_id = $3", [orgID, id, actorID]
        ).first.map { ImportUpload(id: try $0.decode("id"), fileName: try $0.decode("file_name"),
                                   data: Array(Data(base64Encoded: try $0.decode("data_base64") as String) ?? Data()),
                                   createdAt: try $0.decode("created_at")) }
    }

    public func deleteUpload(id: UUID) throws {
        try connection.query("DELETE FROM import_uploads WHERE org_id = $1 AND id = $2", [orgID, id])
    }

    /// One row in COPY's text format: tab-separated, `\N` for none, backslash escapes.
    static func appendCopyLine(_ row: ImportedReport, to text: inout String) {
        func field(_ value: String?) {
            guard let value else { text += "\\N"; return }
            // Most cells need no escaping: appended whole.
            guard value.utf8.contains(where: { $0 == 92 || $0 == 9 || $0 == 10 || $0 == 13 }) else { text += value; return }
            for character in value.unicodeScalars {
                switch character {
                case "\\": text += "\\\\"
                case "\t": text += "\\t"
                case "\n": text += "\\n"
                case "\r": text += "\\r"
                default: text.unicodeScalars.append(character)
                }
            }
        }
        let report = row.report
        text += String(row.line)
        for value in [report.summary, report.account, report.dealAmount.map { "\($0)" }, report.stage?.rawValue, report.competitor,
                      report.persona, report.industry, report.product, report.occurredOn.description, row.objection] as [String?] {
            text += "\t"
            field(value)
        }
        text += "\n"
    }
}

/// The audit record of an import.
struct ImportAudit: Encodable {
    let fileName: String
    let rows: Int
    let imported: Int
    let duplicates: Int
    let failed: Int
    let matchedObjections: Int
}
