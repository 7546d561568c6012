/// Reads CSV (RFC 4180: quoted cells, doubled quotes, line breaks inside quotes; CRLF or LF) a chunk at a time, so a
/// file of any size is read in bounded memory. Refuses what is not CSV with the line it happened on: text that is not
/// UTF-8, a quote that never closes, text after a closing quote, a quote inside an unquoted cell, a record longer than
/// `maxRecordBytes`.
public struct CSVReader: Sendable {
    /// One record: the line it starts on (1-based) and its cells.
    public struct Record: Sendable, Equatable {
        public let line: Int
        public let cells: [String]
    }

    public struct Malformed: Error, Equatable, CustomStringConvertible, Sendable {
        public let line: Int
        public let reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    public let delimiter: UInt8
    public let maxRecordBytes: Int
    private var cell: [UInt8] = []
    private var cells: [String] = []
    private var inQuotes = false
    private var quoteClosed = false
    private var afterCR = false
    private var atStart = true
    private var line = 1
    private var recordLine = 1
    private var recordBytes = 0

    public init(delimiter: UInt8 = UInt8(ascii: ","), maxRecordBytes: Int = 1 << 20) {
        self.delimiter = delimiter
        self.maxRecordBytes = maxRecordBytes
    }

    /// Reads the next chunk and hands each complete record to `emit`.
    public mutating func feed(_ bytes: some Sequence<UInt8>, _ emit: (Record) throws -> Void) throws {
        for byte in bytes {
            if atStart {
                atStart = false
                if byte == 0xFF || byte == 0xFE {
                    throw Malformed(line: 1, reason: "the file is UTF-16, not UTF-8 (save it as CSV UTF-8)")
                }
                // A UTF-8 byte-order mark (Excel writes one) is not part of the first cell.
                if byte == 0xEF { bom = 1; continue }
            }
            if bom > 0 {
                let expected: [UInt8] = [0xEF, 0xBB, 0xBF]
                if bom < 3, byte == expected[bom] { bom += 1; if bom == 3 { bom = -1 }; continue }
                if bom > 0 { cell.append(contentsOf: expected[0..<bom]); bom = -1 }
            }
            recordBytes += 1
            if byte == 0 {
                throw Malformed(line: line, reason: "a NUL byte: this is not UTF-8 text (UTF-16 from Excel? save it as CSV UTF-8)")
            }
            if recordBytes > maxRecordBytes {
                throw Malformed(line: recordLine, reason: "a record is longer than \(maxRecordBytes / 1024) KiB; is this a CSV file?")
            }
            if afterCR {
                afterCR = false
                if byte == UInt8(ascii: "\n") { recordBytes = 0; continue }
            }
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    inQuotes = false
                    quoteClosed = true
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    cell.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                if quoteClosed {
                    // A doubled quote inside a quoted cell.
                    cell.append(byte)
                    inQuotes = true
                    quoteClosed = false
                } else if cell.isEmpty {
                    inQuotes = true
                } else {
                    throw Malformed(line: line, reason: "a quote inside a cell that does not start with one (quote the whole cell and double the quote)")
                }
            case delimiter:
                try endCell()
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                try endCell()
                let record = Record(line: recordLine, cells: cells)
                cells.removeAll(keepingCapacity: true)
                line += 1
                recordLine = line
                recordBytes = 0
                afterCR = byte == UInt8(ascii: "\r")
                // A blank line is no record.
                if !(record.cells.count == 1 && record.cells[0].isEmpty) { try emit(record) }
            default:
                if quoteClosed { throw Malformed(line: line, reason: "text after a closing quote (quote the whole cell)") }
                cell.append(byte)
            }
        }
    }

    /// Ends the input: hands the last record (a file need not end with a line break) or refuses an open quote.
    public mutating func finish(_ emit: (Record) throws -> Void) throws {
        if bom > 0 { cell.append(contentsOf: [0xEF, 0xBB, 0xBF][0..<bom]); bom = -1 }
        if inQuotes { throw Malformed(line: recordLine, reason: "a quote opened here never closes") }
        if !cell.isEmpty || !cells.isEmpty || quoteClosed {
            try endCell()
            let record = Record(line: recordLine, cells: cells)
            cells.removeAll()
            if !(record.cells.count == 1 && record.cells[0].isEmpty) { try emit(record) }
        }
    }

    private var bom = 0

    private mutating func endCell() throws {
        guard let text = String(validating: cell, as: UTF8.self) else {
            throw Malformed(line: line, reason: "the text is not UTF-8 (save the file as CSV UTF-8)")
        }
        cells.append(text)
        cell.removeAll(keepingCapacity: true)
        quoteClosed = false
    }

    /// A reader for a file starting with `bytes`: semicolon-separated when its header says so, otherwise comma.
    public init(startingWith bytes: some Collection<UInt8>) {
        self.init(delimiter: Self.delimiter(ofHeader: bytes.prefix(65_536)))
    }

    /// The delimiter a header line uses: a semicolon when it has more of those than commas (Excel in many locales).
    public static func delimiter(ofHeader bytes: some Sequence<UInt8>) -> UInt8 {
        var commas = 0, semicolons = 0, quoted = false
        for byte in bytes {
            if byte == UInt8(ascii: "\"") { quoted.toggle() }
            if quoted { continue }
            if byte == UInt8(ascii: "\n") { break }
            if byte == UInt8(ascii: ",") { commas += 1 }
            if byte == UInt8(ascii: ";") { semicolons += 1 }
        }
        return semicolons > commas ? UInt8(ascii: ";") : UInt8(ascii: ",")
    }
}
