import Foundation

/// A value that writes its own JSON. The API's hot responses (the backlog, Top 5, lists, a filed report) skip Encodable's
/// keyed containers, which were a third of a backlog read's CPU. A conformer writes exactly the bytes its Encodable
/// conformance writes through JSONWriter; JSONWritableTests compares the two for each one.
public protocol JSONWritable: Encodable {
    func writeJSON(to json: inout JSONOutput) throws
}

/// JSON bytes as they are written, with the API's conventions: RFC 3339 UTC times, lower-case ids, unescaped slashes.
public struct JSONOutput {
    public var bytes: [UInt8] = []

    public init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    /// `{` … `}` around what `body` writes; its fields place their own commas.
    public mutating func object(_ body: (inout JSONOutput) throws -> Void) rethrows {
        bytes.append(UInt8(ascii: "{"))
        try body(&self)
        bytes.append(UInt8(ascii: "}"))
    }

    /// `"name":value`, after a comma unless it is the object's first field. Names are written as they are (snake_case).
    public mutating func field<Value: JSONWritable>(_ name: StaticString, _ value: Value) throws {
        if bytes.last != UInt8(ascii: "{") { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        try value.writeJSON(to: &self)
    }

    public mutating func null() { bytes.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")]) }

    /// Digits written in place, most significant first.
    public mutating func int(_ number: Int) {
        if number < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var start = buffer.count
            repeat {
                start -= 1
                buffer[start] = UInt8(48 + magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start...]))
        }
    }

    public mutating func double(_ number: Double) throws {
        guard number.isFinite else {
            throw EncodingError.invalidValue(number, .init(codingPath: [], debugDescription: "JSON has no \(number)"))
        }
        var text = number.description
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    public mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most text needs no escaping: copy it in one go.
        let plain = text.utf8.withContiguousStorageIfAvailable { utf8 in
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if plain == true {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): bytes.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): bytes.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// A time as a quoted RFC 3339 string in UTC, whole seconds, digits written in place (calendar arithmetic, not
    /// gmtime_r, which takes the time zone lock on every call).
    public mutating func date(_ date: Date) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let second = seconds - days * 86_400
        bytes.append(UInt8(ascii: "\""))
        Day(number: days).forEachByte { bytes.append($0) }
        bytes.append(UInt8(ascii: "T"))
        twoDigits(second / 3600)
        bytes.append(UInt8(ascii: ":"))
        twoDigits(second / 60 % 60)
        bytes.append(UInt8(ascii: ":"))
        twoDigits(second % 60)
        bytes.append(contentsOf: "Z\"".utf8)
    }

    private mutating func twoDigits(_ value: Int) {
        bytes.append(UInt8(48 + value / 10))
        bytes.append(UInt8(48 + value % 10))
    }

    /// An id as quoted lower-case hex in 8-4-4-4-12 groups, written in place.
    mutating func uuid(_ id: UUID) {
        var quoted: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)  // 38 bytes, quotes included, on the stack
        withUnsafeMutableBytes(of: &quoted) { buffer in
            buffer[0] = UInt8(ascii: "\"")
            id.writeLowercased(into: UnsafeMutableRawBufferPointer(rebasing: buffer[1..<37]))
            buffer[37] = UInt8(ascii: "\"")
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<38]))
        }
    }
}

extension String: JSONWritable {
    public func writeJSON(to json: inout JSONOutput) { json.string(self) }
}

extension Int: JSONWritable {
    public func writeJSON(to json: inout JSONOutput) { json.int(self) }
}

extension Double: JSONWritable {
    public func writeJSON(to json: inout JSONOutput) throws { try json.double(self) }
}

extension Bool: JSONWritable {
    public func writeJSON(to json: inout JSONOutput) { json.bytes.append(contentsOf: (self ? "true" : "false").utf8) }
}

extension Date: JSONWritable {
    public func writeJSON(to json: inout JSONOutput) { json.date(self) }
}

extension UUID: JSONWritable {
    public func writeJSON(to json: inout JSONOutput) { json.uuid(self) }
}

extension Decimal: JSONWritable {
    public func writeJSON(to json: inout JSONOutput) { json.bytes.append(contentsOf: description.utf8) }
}

extension Day: JSONWritable {
    public func writeJSON(to json: inout JSONOutput) {
        json.bytes.append(UInt8(ascii: "\""))
        forEachByte { json.bytes.append($0) }
        json.bytes.append(UInt8(ascii: "\""))
    }
}

extension Optional: JSONWritable where Wrapped: JSONWritable {
    /// Absent values are written as `null`, as the API writes every field.
    public func writeJSON(to json: inout JSONOutput) throws {
        guard let self else { return json.null() }
        try self.writeJSON(to: &json)
    }
}

extension Array: JSONWritable where Element: JSONWritable {
    public func writeJSON(to json: inout JSONOutput) throws {
        json.bytes.append(UInt8(ascii: "["))
        for (index, element) in enumerated() {
            if index > 0 { json.bytes.append(UInt8(ascii: ",")) }
            try element.writeJSON(to: &json)
        }
        json.bytes.append(UInt8(ascii: "]"))
    }
}

/// Enumerations with text values are written as their text.
extension JSONWritable where Self: RawRepresentable, RawValue == String {
    public func writeJSON(to json: inout JSONOutput) { json.string(rawValue) }
}

extension ObjectionStatus: JSONWritable {}
extension FocusKind: JSONWritable {}
extension FocusStatus: JSONWritable {}
extension ContentFormat: JSONWritable {}
extension ContentStatus: JSONWritable {}
extension BuyingStage: JSONWritable {}

extension Objection: JSONWritable {
    public func writeJSON(to json: inout JSONOutput) throws {
        try json.object { json in
            try json.field("id", id)
            try json.field("statement", statement)
            try json.field("obstacle_id", obstacleID)
            try json.field("status", status)
            try json.field("merged_into_id", mergedIntoID)
            try json.field("report_count", reportCount)
            try json.field("version", version)
            try json.field("created_at", createdAt)
            try json.field("updated_at", updatedAt)
        }
    }
}

extension ScoreBreakdown: JSONWritable {
    public func writeJSON(to json: inout JSONOutput) throws {
        try json.object { json in
            try json.field("accounts", accounts)
            try json.field("reps", reps)
            try json.field("reports", reports)
            try json.field("demand", demand)
            try json.field("strategic", strategic)
            try json.field("coverage", coverage)
            try json.field("value_at_stake", valueAtStake)
            try json.field("last_reported_on", lastReportedOn)
        }
    }
}

extension FocusItem: JSONWritable {
    public func writeJSON(to json: inout JSONOutput) throws {
        try json.object { json in
            try json.field("id", id)
            try json.field("kind", kind)
            try json.field("title", title)
            try json.field("description", description)
            try json.field("status", status)
            try json.field("rank", rank)
            try json.field("version", version)
            try json.field("created_at", createdAt)
            try json.field("updated_at", updatedAt)
        }
    }
}

extension ContentItem: JSONWritable {
    public func writeJSON(to json: inout JSONOutput) throws {
        try json.object { json in
            try json.field("id", id)
            try json.field("objection_id", objectionID)
            try json.field("opportunity_id", opportunityID)
            try json.field("title", title)
            try json.field("format", format)
            try json.field("status", status)
            try json.field("assignee_id", assigneeID)
            try json.field("effort", effort)
            try json.field("url", url)
            try json.field("published_at", publishedAt)
            try json.field("version", version)
            try json.field("created_at", createdAt)
            try json.field("updated_at", updatedAt)
        }
    }
}

extension FieldReport: JSONWritable {
    public func writeJSON(to json: inout JSONOutput) throws {
        try json.object { json in
            try json.field("id", id)
            try json.field("reporter_id", reporterID)
            try json.field("summary", summary)
            try json.field("account", account)
            try json.field("deal_amount", dealAmount)
            try json.field("stage", stage)
            try json.field("competitor", competitor)
            try json.field("persona", persona)
            try json.field("industry", industry)
            try json.field("product", product)
            try json.field("occurred_on", occurredOn)
            try json.field("objection_id", objectionID)
            try json.field("triaged_at", triagedAt)
            try json.field("created_at", createdAt)
        }
    }
}
