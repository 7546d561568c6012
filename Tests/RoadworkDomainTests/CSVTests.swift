import RoadworkDomain
import Testing

@Suite("CSV for spreadsheets")
struct CSVTests {
    @Test func fieldsWithCommasQuotesOrLineBreaksAreQuotedAndQuotesDoubled() {
        #expect(CSV.line(["plain", "a, b", "say \"no\"", "two\nlines", "crlf\r\nend", nil, ""]) ==
                "plain,\"a, b\",\"say \"\"no\"\"\",\"two\nlines\",\"crlf\r\nend\",,\r\n")
    }

    @Test func textThatASpreadsheetWouldRunAsAFormulaIsNeutralised() {
        #expect(CSV.field("=HYPERLINK(\"http://evil\",\"x\")") == "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"")
        #expect(CSV.field("+1 555 0100") == "'+1 555 0100")
        #expect(CSV.field("-cmd|' /C calc'!A0") == "'-cmd|' /C calc'!A0")
        #expect(CSV.field("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSV.field("\tTab first") == "'\tTab first")
    }

    @Test func plainNumbersStayNumbers() {
        #expect(CSV.field("-12.5") == "-12.5")
        #expect(CSV.field("42") == "42")
        #expect(CSV.field("-") == "'-")
        #expect(CSV.field("-1.2.3") == "'-1.2.3")
    }
}
