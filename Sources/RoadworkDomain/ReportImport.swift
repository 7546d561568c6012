import Foundation

/// The fields of a report an imported column can fill. `objection` matches an existing open objection by its statement
/// (ignoring case); a row without a match waits in the triage inbox like any untriaged report.
public enum ImportField: String, CaseIterable, Sendable, Codable {
    case summary, account
    case dealAmount = "deal_amount"
    case stage, competitor, persona, industry, product
    case occurredOn = "occurred_on"
    case objection
}

/// Which column fills which field. Several columns may fill the summary (joined with " — "); one column each fills the rest.
public struct ImportMapping: Sendable, Equatable, Codable {
    /// Column name as in the header → field.
    public var columns: [String: ImportField]

    public init(columns: [String: ImportField]) { self.columns = columns }

    /// The usual CRM exports, by name: column names as those tools write them.
    public static let presets: [String: ImportMapping] = [
        // A Salesforce opportunity report with loss reason and competitor.
        "salesforce": ImportMapping(columns: [
            "Loss Reason": .summary, "Closed Lost Reason": .summary, "Description": .summary, "Next Step": .summary,
            "Account Name": .account, "Amount": .dealAmount, "Stage": .stage, "Close Date": .occurredOn,
            "Competitor": .competitor, "Primary Competitor": .competitor, "Main Competitors": .competitor,
            "Industry": .industry, "Product": .product, "Primary Product": .product,
        ]),
        // A HubSpot deals export.
        "hubspot": ImportMapping(columns: [
            "Closed Lost Reason": .summary, "Deal Description": .summary, "Associated Company": .account, "Company name": .account,
            "Amount": .dealAmount, "Deal Stage": .stage, "Close Date": .occurredOn, "Competitor": .competitor, "Industry": .industry,
        ]),
    ]

    /// Reads `column=field` pairs (the CLI's `--map`); the column is matched to the header ignoring case.
    public static func parse(_ pairs: [String]) throws(ValidationError) -> ImportMapping {
        var check = Validator()
        var columns: [String: ImportField] = [:]
        for pair in pairs {
            guard let equals = pair.lastIndex(of: "=") else { check.fail("map", "“\(pair)” must look like column=field"); continue }
            let column = String(pair[..<equals]).trimmed
            let name = String(pair[pair.index(after: equals)...]).trimmed
            guard let field = ImportField(rawValue: name) else {
                check.fail("map", "“\(name)” is not a field (use \(ImportField.allCases.map(\.rawValue).joined(separator: ", ")))")
                continue
            }
            if column.isEmpty { check.fail("map", "“\(pair)” names no column") }
            columns[column] = field
        }
        try check.finish()
        return ImportMapping(columns: columns)
    }

    /// The mapping for this header: `self` first, then `fallback` (a remembered mapping or a preset) for columns `self`
    /// leaves out, then columns named after a field. Refuses a header without summary and account, and a field other than the summary filled twice.
    public func resolve(header: [String], fallback: ImportMapping? = nil) throws(ValidationError) -> ResolvedImport {
        var check = Validator()
        var byField: [ImportField: [Int]] = [:]
        let lowered = Dictionary(columns.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        let fallbackLowered = Dictionary((fallback?.columns ?? [:]).map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        let seen = Set(header.map { $0.trimmed.lowercased() })
        for key in lowered.keys where !seen.contains(key) {
            check.fail("map", "no column “\(columns.first { $0.key.lowercased() == key }!.key)” in the file's header")
        }
        for (index, name) in header.enumerated() {
            let key = name.trimmed.lowercased()
            // A column named after a field ("summary", "deal amount") fills it when nothing else says.
            guard let field = lowered[key] ?? fallbackLowered[key] ?? ImportField(rawValue: key.replacingOccurrences(of: " ", with: "_"))
            else { continue }
            byField[field, default: []].append(index)
        }
        for (field, indices) in byField where field != .summary && indices.count > 1 {
            check.fail("map", "\(field.rawValue) is filled by \(indices.count) columns (\(indices.map { header[$0] }.joined(separator: ", "))); map one")
        }
        for field in [ImportField.summary, .account] where byField[field] == nil {
            check.fail("map", "no column fills \(field.rawValue): map one (column=\(field.rawValue))")
        }
        try check.finish()
        return ResolvedImport(header: header, fields: byField)
    }
}

/// A mapping applied to one file's header: turns each record into a report, or the reason it cannot be one.
public struct ResolvedImport: Sendable {
    public let header: [String]
    public let fields: [ImportField: [Int]]

    /// The mapping as column → field, for remembering and showing.
    public var mapping: ImportMapping {
        var columns: [String: ImportField] = [:]
        for (field, indices) in fields { for index in indices { columns[header[index]] = field } }
        return ImportMapping(columns: columns)
    }

    /// One record as a report with the same rules as filing one, or why not. A record whose cell count differs from the
    /// header's is malformed, not just invalid: the caller stops the import.
    public func report(_ record: CSVReader.Record, today: Day) throws(CSVReader.Malformed) -> Result<ImportedReport, ValidationError> {
        guard record.cells.count == header.count else {
            throw CSVReader.Malformed(line: record.line, reason: "\(record.cells.count) cells where the header has \(header.count) (a ragged row)")
        }
        func value(_ field: ImportField) -> String? {
            guard let indices = fields[field] else { return nil }
            let parts = indices.map { record.cells[$0].trimmed }.filter { !$0.isEmpty }
            return parts.isEmpty ? nil : parts.joined(separator: " — ")
        }
        var amount: Double?
        if let text = value(.dealAmount) {
            amount = Self.amount(text)
            if amount == nil { return .failure(ValidationError(field: "deal_amount", "“\(text)” is not an amount")) }
        }
        var day: String?
        if let text = value(.occurredOn) {
            guard let parsed = Self.day(text) else { return .failure(ValidationError(field: "occurred_on", "“\(text)” is not a date (YYYY-MM-DD or M/D/YYYY)")) }
            day = parsed.description
        }
        do {
            let report = try NewFieldReport.validate(
                summary: value(.summary), account: value(.account), dealAmount: amount, stage: value(.stage).flatMap(Self.stage),
                competitor: value(.competitor), persona: value(.persona), industry: value(.industry), product: value(.product),
                occurredOn: day, objectionID: nil, today: today)
            return .success(ImportedReport(line: record.line, report: report, objection: value(.objection)))
        } catch {
            return .failure(error)
        }
    }

    /// "$12,500.00", "12500", "12 500,00 €": a plain number from what CRMs write.
    static func amount(_ text: String) -> Double? {
        if let plain = Double(text) { return plain }
        var kept = text.filter { $0.isNumber || $0 == "." || $0 == "," || $0 == "-" }
        // "12.500,00" and "12 500,00": the comma is the decimal mark when it comes last with two digits after it.
        if let comma = kept.lastIndex(of: ","), kept.distance(from: comma, to: kept.endIndex) == 3, !kept[comma...].contains(".") {
            kept = kept.replacingOccurrences(of: ".", with: "").replacingOccurrences(of: ",", with: ".")
        } else {
            kept = kept.replacingOccurrences(of: ",", with: "")
        }
        return Double(kept)
    }

    /// ISO dates (a time after them is ignored) and the US M/D/YYYY that Salesforce and HubSpot write by default.
    static func day(_ text: String) -> Day? {
        if let day = Day(String(text.prefix(10))) { return day }
        let parts = text.split(whereSeparator: { $0 == " " }).first.map { $0.split(separator: "/") } ?? []
        guard parts.count == 3, let month = Int(parts[0]), let dayOfMonth = Int(parts[1]), var year = Int(parts[2]),
              (1...12).contains(month), (1...31).contains(dayOfMonth) else { return nil }
        if year < 100 { year += 2000 }
        return Day(String(format: "%04d-%02d-%02d", year, month, dayOfMonth))
    }

    /// A CRM's stage name as a buying stage; one it does not know is left empty rather than refusing the row.
    static func stage(_ text: String) -> String? {
        stages[text.lowercased().filter { $0.isLetter }]?.rawValue
    }

    private static let stages: [String: BuyingStage] = {
        var known: [String: BuyingStage] = [
            "qualification": .discovery, "needsanalysis": .discovery, "appointmentscheduled": .discovery, "qualifiedtobuy": .discovery,
            "valueproposition": .evaluation, "iddecisionmakers": .evaluation, "perceptionanalysis": .evaluation,
            "presentationscheduled": .evaluation, "proposalpricequote": .proposal, "decisionmakerboughtin": .proposal,
            "negotiationreview": .negotiation, "contractsent": .negotiation, "lost": .closedLost, "won": .closedWon,
        ]
        for stage in BuyingStage.allCases { known[stage.rawValue.filter(\.isLetter)] = stage }
        return known
    }()
}

/// A row that passed: the report to file, and the objection statement it names (if any).
public struct ImportedReport: Sendable {
    public let line: Int
    public let report: NewFieldReport
    public let objection: String?
}

/// What an import did, for the person and the audit log.
public struct ImportSummary: Sendable, Codable, Equatable {
    public struct RowError: Sendable, Codable, Equatable {
        public let line: Int
        public let reason: String
    }

    /// Data rows read (the header not counted).
    public var rows = 0
    public var imported = 0
    /// Rows already imported before (same fingerprint), or repeated in the file.
    public var duplicates = 0
    public var matchedObjections = 0
    public var failed = 0
    /// The first 100 rows that failed, with why.
    public var errors: [RowError] = []

    public init() {}

    public mutating func fail(line: Int, _ error: ValidationError) {
        failed += 1
        if errors.count < 100 {
            errors.append(RowError(line: line, reason: error.errors.map { "\($0.field) \($0.message)" }.joined(separator: "; ")))
        }
    }
}
