import CLibPQ
import Foundation

/// The rows of one statement, owned until the result is released.
public final class QueryResult {
    private let result: OpaquePointer

    /// `layout`: the columns of an earlier result of the same prepared statement, which always has the same ones.
    init(_ result: OpaquePointer, layout: ColumnLayout? = nil) {
        self.result = result
        self.layoutMade = layout.flatMap { $0.names.count == Int(PQnfields(result)) ? $0 : nil }
    }
    deinit { PQclear(result) }

    /// Number of rows returned.
    public var count: Int { Int(PQntuples(result)) }

    /// Number of rows a command touched (`UPDATE`, `DELETE`, `INSERT`).
    public var affectedRows: Int {
        guard let text = PQcmdTuples(result) else { return 0 }
        return Int(String(cString: text)) ?? 0
    }

    /// All rows, in order.
    public var rows: [Row] { (0..<count).map { Row(result: self, index: Int32($0)) } }

    /// The first row, if any: a missing row is a value, not an error.
    public var first: Row? { count > 0 ? Row(result: self, index: 0) : nil }

    /// The columns' names and positions: the prepared statement's, or made on the first lookup.
    private var layoutMade: ColumnLayout?
    var layout: ColumnLayout {
        if let layoutMade { return layoutMade }
        let made = ColumnLayout(result)
        layoutMade = made
        return made
    }

    /// Where the next lookup looks first: rows are mostly decoded in the order the statement names their columns, so
    /// the column after the one last read is usually the one asked for, found without hashing the name.
    private var nextColumn = 0

    /// A quoted or upper-case name is left to PQfnumber's rules.
    func columnIndex(_ name: String) -> Int32 {
        let layout = self.layout
        let names = layout.names
        if nextColumn >= names.count { nextColumn = 0 }
        if nextColumn < names.count, names[nextColumn] == name {
            nextColumn += 1
            return Int32(nextColumn - 1)
        }
        // The one just read, asked again (a joined row's id: first whether it is there, then to decode it).
        if nextColumn > 0, names[nextColumn - 1] == name { return Int32(nextColumn - 1) }
        let position = layout.positions[name] ?? PQfnumber(result, name)
        if position >= 0 { nextColumn = Int(position) + 1 }
        return position
    }

    /// The column named `prefix` + `name` (a joined table's columns, `f_title`), without making that name first.
    func columnIndex(prefix: String, _ name: String) -> Int32 {
        let names = layout.names
        if nextColumn >= names.count { nextColumn = 0 }
        if nextColumn < names.count, var candidate = names[nextColumn], Self.joins(&candidate, prefix, name) {
            nextColumn += 1
            return Int32(nextColumn - 1)
        }
        if nextColumn > 0, var candidate = names[nextColumn - 1], Self.joins(&candidate, prefix, name) { return Int32(nextColumn - 1) }
        return columnIndex(prefix + name)
    }

    /// Whether `whole` is `prefix` followed by `name`, compared as bytes.
    private static func joins(_ whole: inout String, _ prefix: String, _ name: String) -> Bool {
        var prefix = prefix, name = name
        return whole.withUTF8 { whole in
            prefix.withUTF8 { prefix in
                name.withUTF8 { name in
                    whole.count == prefix.count + name.count
                        && (prefix.isEmpty || memcmp(whole.baseAddress!, prefix.baseAddress!, prefix.count) == 0)
                        && (name.isEmpty || memcmp(whole.baseAddress! + prefix.count, name.baseAddress!, name.count) == 0)
                }
            }
        }
    }

    func columnName(_ index: Int32) -> String { ColumnLayout.name(result, index) }
    var columnCount: Int32 { PQnfields(result) }
    func isNull(_ row: Int32, _ column: Int32) -> Bool { PQgetisnull(result, row, column) == 1 }
    func text(_ row: Int32, _ column: Int32) -> String { String(cString: PQgetvalue(result, row, column)) }
    /// The value's bytes inside the result, valid while the result lives.
    func bytes(_ row: Int32, _ column: Int32) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: UnsafeRawPointer(PQgetvalue(result, row, column)).assumingMemoryBound(to: UInt8.self),
                            count: Int(PQgetlength(result, row, column)))
    }
}

/// A statement's column names and where each is, so rows are decoded by name without PQfnumber (which copies and
/// case-folds the name and compares it with every column on each call). Made once per prepared statement on each
/// connection: making it (a String and a hash per column) for every result was a twentieth of the server's CPU for a
/// backlog of 20. Never changed once made, so results decoded on other threads may share it.
final class ColumnLayout: Sendable {
    /// Every column's name, in order; nil for a name an earlier column already has (the first of two wins, as in PQfnumber).
    let names: [String?]
    let positions: [String: Int32]

    init(_ result: OpaquePointer) {
        let count = PQnfields(result)
        var positions = [String: Int32](minimumCapacity: Int(count))
        var names: [String?] = []
        names.reserveCapacity(Int(count))
        for index in 0..<count {
            let name = Self.name(result, index)
            if positions[name] == nil {
                positions[name] = index
                names.append(name)
            } else {
                names.append(nil)
            }
        }
        self.names = names
        self.positions = positions
    }

    static func name(_ result: OpaquePointer, _ index: Int32) -> String { PQfname(result, index).map { String(cString: $0) } ?? "#\(index)" }
}

/// One row of a result, decoded column by column into Swift types.
public struct Row {
    let result: QueryResult
    let index: Int32

    /// Decodes the named column; NULL is an error unless `T` is optional.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        let position = result.columnIndex(column)
        guard position >= 0 else { throw PostgresError.decoding(column: column, message: "no such column") }
        return try decode(at: position, name: column)
    }

    /// Decodes the column named `prefix` + `column`.
    public func decode<T: PostgresDecodable>(_ column: String, prefix: String, as type: T.Type = T.self) throws -> T {
        let position = result.columnIndex(prefix: prefix, column)
        guard position >= 0 else { throw PostgresError.decoding(column: prefix + column, message: "no such column") }
        return try decode(at: position, name: prefix + column)  // made only when decoding fails
    }

    /// Decodes the column at a zero-based position.
    public func decode<T: PostgresDecodable>(at position: Int, as type: T.Type = T.self) throws -> T {
        guard position >= 0 && position < Int(result.columnCount) else {
            throw PostgresError.decoding(column: "#\(position)", message: "no such column")
        }
        return try decode(at: Int32(position), name: result.columnName(Int32(position)))
    }

    private func decode<T: PostgresDecodable>(at position: Int32, name: @autoclosure () -> String) throws -> T {
        if result.isNull(index, position) {
            guard let null = T.postgresNull else {
                throw PostgresError.decoding(column: name(), message: "unexpected NULL for \(T.self)")
            }
            return null
        }
        let value = withExtendedLifetime(result) { T(postgresBytes: result.bytes(index, position)) }
        guard let value else {
            throw PostgresError.decoding(column: name(), message: "cannot read \(T.self) from \"\(result.text(index, position).prefix(60))\"")
        }
        return value
    }
}

/// Anything that yields typed columns by name: a row, or a view of a joined row.
public protocol RowDecoding {
    func decode<T: PostgresDecodable>(_ column: String, as type: T.Type) throws -> T
}

extension RowDecoding {
    public func decode<T: PostgresDecodable>(_ column: String) throws -> T { try decode(column, as: T.self) }
}

extension Row: RowDecoding {}
