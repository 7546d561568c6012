import Foundation
import Testing
@testable import PostgresClient

@Suite("Values travel to PostgreSQL and back with their types")
struct DecodingTests {
    @Test func everyTypeRoundTrips() throws {
        let connection = try Connection(conninfo: try TestDatabase.url())
        let id = UUID()
        let when = Date(timeIntervalSince1970: 1_790_000_000.123456)
        let row = try #require(try connection.query(
            """
            SELECT $1::text AS text, $2::integer AS int, $3::bigint AS big, $4::numeric AS amount, $5::boolean AS flag,
                   $6::uuid AS id, $7::timestamptz AS at, $8::date AS day, $9::jsonb AS doc, $10::text[] AS tags,
                   $11::double precision AS ratio, $12::uuid[] AS ids
            """,
            ["héllo, wörld", 42, Int64(9_000_000_000), Decimal(string: "12345.67")!, true, id, when, "2026-02-28",
             PostgresJSON(["a": 1]), ["x", "y, z", "q\"uote", "back\\slash"], 0.25, [id]]
        ).first)
        #expect(try row.decode("text", as: String.self) == "héllo, wörld")
        #expect(try row.decode("int", as: Int.self) == 42)
        #expect(try row.decode("big", as: Int64.self) == 9_000_000_000)
        #expect(try row.decode("amount", as: Decimal.self) == Decimal(string: "12345.67")!)
        #expect(try row.decode("flag", as: Bool.self) == true)
        #expect(try row.decode("id", as: UUID.self) == id)
        #expect(abs(try row.decode("at", as: Date.self).timeIntervalSince(when)) < 0.000_001)
        #expect(try row.decode("day", as: Date.self) == Date(timeIntervalSince1970: 1_772_236_800))
        #expect(try row.decode("doc", as: PostgresJSONValue<[String: Int]>.self).value == ["a": 1])
        #expect(try row.decode("tags", as: [String].self) == ["x", "y, z", "q\"uote", "back\\slash"])
        #expect(try row.decode("ratio", as: Double.self) == 0.25)
        #expect(try row.decode("ids", as: [UUID].self) == [id])
    }

    @Test func nullIsAValueOnlyForOptionals() throws {
        let connection = try Connection(conninfo: try TestDatabase.url())
        let row = try #require(try connection.query("SELECT NULL::text AS missing, $1::integer AS absent", [Int?.none]).first)
        #expect(try row.decode("missing", as: String?.self) == nil)
        #expect(try row.decode("absent", as: Int?.self) == nil)
        #expect(throws: PostgresError.self) { try row.decode("missing", as: String.self) }
        #expect(throws: PostgresError.self) { try row.decode("no_such_column", as: String.self) }
    }

    @Test func textThatDoesNotFitTheTypeIsADecodingError() throws {
        let connection = try Connection(conninfo: try TestDatabase.url())
        let row = try #require(try connection.query("SELECT 'abc'::text AS word").first)
        #expect {
            try row.decode("word", as: Int.self)
        } throws: { error in
            guard case .decoding(let column, _) = error as? PostgresError else { return false }
            return column == "word"
        }
    }

    @Test func doublesAndTimesAreReadFromTheServersTextExactly() throws {
        let connection = try Connection(conninfo: try TestDatabase.url())
        let row = try #require(try connection.query(
            """
            SELECT 6803.075404306852::float8 AS a, 1e-300::float8 AS b, -2.5e+20::float8 AS c, 'NaN'::float8 AS d,
                   'Infinity'::float8 AS e, '-Infinity'::float8 AS f, 595367000::float8 AS g, '1.5x' AS h, ' 1' AS i, '' AS j,
                   '2026-12-04 13:20:34.25+00'::timestamptz AS k, '2026-12-04 13:20'::text AS l
            """
        ).first)
        #expect(try row.decode("a", as: Double.self) == 6803.075404306852)
        #expect(try row.decode("b", as: Double.self) == 1e-300)
        #expect(try row.decode("c", as: Double.self) == -2.5e20)
        #expect(try row.decode("d", as: Double.self).isNaN)
        #expect(try row.decode("e", as: Double.self) == .infinity)
        #expect(try row.decode("f", as: Double.self) == -.infinity)
        #expect(try row.decode("g", as: Double.self) == 595_367_000)
        for column in ["h", "i", "j"] { #expect(throws: PostgresError.self) { try row.decode(column, as: Double.self) } }
        #expect(try row.decode("k", as: Date.self) == Date(timeIntervalSince1970: 1_796_390_434.25))
        #expect(throws: PostgresError.self) { try row.decode("l", as: Date.self) }
    }

    @Test func columnsAreFoundByNameInAnyOrderAndByPrefix() throws {
        let connection = try Connection(conninfo: try TestDatabase.url())
        let rows = try connection.query("SELECT n AS a, n * 10 AS f_a, n * 100 AS b, 7 AS a FROM generate_series(1, 3) n").rows
        for (index, row) in rows.enumerated() {
            let n = index + 1
            // Backwards, forwards, by prefix, and a name given twice (the first wins, as PQfnumber has it).
            #expect(try row.decode("b", as: Int.self) == n * 100)
            #expect(try row.decode("a", prefix: "f_", as: Int.self) == n * 10)
            #expect(try row.decode("a", as: Int.self) == n)
            #expect(try row.decode("f_a", as: Int.self) == n * 10)
            #expect(try row.decode("b", prefix: "", as: Int.self) == n * 100)
            #expect(try row.decode("a", as: Int.self) == n)
            #expect(throws: PostgresError.self) { try row.decode("a", prefix: "g_", as: Int.self) }
        }
        // A row with no columns at all answers "no such column", as any missing name does.
        let empty = try #require(try connection.query("SELECT").first)
        #expect(throws: PostgresError.self) { try empty.decode("a", as: Int.self) }
        #expect(throws: PostgresError.self) { try empty.decode("a", prefix: "f_", as: Int.self) }
    }

    @Test("Numerics read from libpq's bytes equal Decimal(string:) on the same text, to their description")
    func numericsReadFromBytesAsFromText() throws {
        let connection = try Connection(conninfo: try TestDatabase.url())
        // Random amounts at 0–6 places, their negatives, zeros, 18 and 19 digits, and more places than 18 digits hold.
        let rows = try connection.query(
            """
            SELECT v::text AS text, v AS amount FROM (
                SELECT round((random() * 10 ^ (random() * 12))::numeric, (random() * 6)::int) * sign(random() - 0.3) AS v
                FROM generate_series(1, 3000)
                UNION ALL SELECT unnest(ARRAY['0', '-0.00', '1500.50', '0.000001', '123456789012345678', '1234567890123456789',
                                              '-98765432109876.5432', '1e-20']::numeric[])) n
            """
        ).rows
        var mismatches: [String] = []
        for row in rows {
            let text: String = try row.decode("text")
            let expected = try #require(Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")))
            let read: Decimal = try row.decode("amount")
            if read != expected || read.description != expected.description {
                mismatches.append("\(text): \(read) vs \(expected)")
            }
        }
        #expect(rows.count == 3008)
        #expect(mismatches.isEmpty, "first: \(mismatches.prefix(3))")
    }

    @Test("Ids read from text are Foundation's UUID in any case, and a wrong byte anywhere refuses the text")
    func idsParseAsFoundationReadsThem() {
        var wrong: [String] = []
        for _ in 0..<500 {
            let id = UUID(), text = id.uuidString
            if UUID(postgresText: text) != id || UUID(postgresText: text.lowercased()) != id { wrong.append(text) }
            for position in text.indices {
                // Each byte in turn replaced by a byte just outside a digit's or a letter's range, a dash or a longer one.
                for replacement in ["/", ":", "@", "G", "`", "g", "-", "é"] where String(text[position]) != replacement {
                    let damaged = text.replacingCharacters(in: position...position, with: replacement)
                    if UUID(postgresText: damaged) != nil { wrong.append(damaged) }
                }
            }
        }
        for text in ["", "00000000-0000-0000-0000-00000000000", "00000000-0000-0000-0000-0000000000000", "000000000-000-0000-0000-000000000000"]
        where UUID(postgresText: text) != nil {
            wrong.append(text)
        }
        #expect(UUID(postgresText: "ABCDEF01-2345-6789-abcd-ef0123456789") == UUID(uuidString: "abcdef01-2345-6789-ABCD-EF0123456789"))
        let count = wrong.count
        #expect(count == 0, "first: \(wrong.prefix(3))")
    }

    @Test func arraysWithNullsAndQuotesParse() {
        #expect(PostgresArrayLiteral.parse("{}") == [])
        #expect(PostgresArrayLiteral.parse("{a,NULL,\"NULL\",\"b c\",\"d\\\"e\"}") == ["a", nil, "NULL", "b c", "d\"e"])
        #expect(PostgresArrayLiteral.parse("[0:1]={x,y}") == ["x", "y"])
        #expect(PostgresArrayLiteral.parse("not an array") == nil)
    }

    @Test func timestampsParseAndFormatExactly() {
        let date = Date(timeIntervalSince1970: 1_700_000_000.5)
        #expect(PostgresTime.format(date) == "2023-11-14 22:13:20.500000+00")
        #expect(PostgresTime.parse("2023-11-14 22:13:20.5+00") == date)
        #expect(PostgresTime.parse("2023-11-14 23:13:20.5+01") == date)
        #expect(PostgresTime.parse("1969-12-31 23:59:59+00") == Date(timeIntervalSince1970: -1))
        #expect(PostgresTime.parse("2023-11-14 22:13") == nil)
    }

    @Test("Times are written as Foundation's UTC calendar reads them, to the microsecond, from 1900 to 2200")
    func timestampsFormatAsTheCalendarSays() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SystemRandomNumberGenerator()
        var mismatches: [String] = []
        for _ in 0..<5_000 {
            let micros = Int64.random(in: -2_208_988_800_000_000...7_258_118_400_000_000, using: &generator)
            let date = Date(timeIntervalSince1970: Double(micros) / 1_000_000)
            // The microsecond the time is written at (the division above may land one off it).
            let written = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
            let fraction = (written % 1_000_000 + 1_000_000) % 1_000_000
            let whole = Date(timeIntervalSince1970: Double((written - fraction) / 1_000_000))
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: whole)
            let expected = String(format: "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00", parts.year!, parts.month!, parts.day!,
                                  parts.hour!, parts.minute!, parts.second!, fraction)
            if PostgresTime.format(date) != expected { mismatches.append("\(micros): \(PostgresTime.format(date)) vs \(expected)") }
        }
        #expect(mismatches.isEmpty, "first: \(mismatches.prefix(3))")
    }
}
