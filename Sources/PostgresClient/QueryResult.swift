import CLibPQ
import Foundation

/// The rows of one statement, owned until the result is released.
public final class QueryResult {
    private let result: OpaquePointer

    init(_ result: OpaquePointer) { self.result = result }
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

    /// Column positions by name, made on the first lookup: PQfnumber copies and case-folds the name and compares it with
    /// every column on each call, and rows are decoded column by column. The first of two same-named columns wins, as there.
    private lazy var positions: [String: Int32] = {
        var positions = [String: Int32](minimumCapacity: Int(columnCount))
        for index in 0..<columnCount where positions[columnName(index)] == nil { positions[columnName(index)] = index }
        return positions
    }()

    /// Every column's name, in order, made on the first lookup; nil for a name an earlier column already has.
    private lazy var names: [String?] = (0..<columnCount).map { positions[columnName($0)] == $0 ? columnName($0) : nil }
    /// Where the next lookup looks first: rows are mostly decoded in the order the statement names their columns, so
    /// the column after the one last read is usually the one asked for, found without hashing the name.
    private var nextColumn = 0

    /// A quoted or upper-case name is left to PQfnumber's rules.
    func columnIndex(_ name: String) -> Int32 {
        let names = self.names  // read once: each read of a lazy property retains the array anew
        if nextColumn >= names.count { nextColumn = 0 }
        if nextColumn < names.count, names[nextColumn] == name {
            nextColumn += 1
            return Int32(nextColumn - 1)
        }
        // The one just read, asked again (a joined row's id: first whether it is there, then to decode it).
        if nextColumn > 0, names[nextColumn - 1] == name { return Int32(nextColumn - 1) }
        let position = positions[name] ?? PQfnumber(result, name)
        if position >= 0 { nextColumn = Int(position) + 1 }
        return position
    }

    /// The column named `prefix` + `name` (a joined table's columns, `f_title`), without making that name first.
    func columnIndex(prefix: String, _ name: String) -> Int32 {
        let names = self.names
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

    func columnName(_ index: Int32) -> String { PQfname(result, index).map { String(cString: $0) } ?? "#\(index)" }
    var columnCount: Int32 { PQnfields(result) }
    func isNull(_ row: Int32, _ column: Int32) -> Bool { PQgetisnull(result, row, column) == 1 }
    func text(_ row: Int32, _ column: Int32) -> String { String(cString: PQgetvalue(result, row, column)) }
    /// The value's bytes inside the result, valid while the result lives.
    func bytes(_ row: Int32, _ column: Int32) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: UnsafeRawPointer(PQgetvalue(result, row, column)).assumingMemoryBound(to: UInt8.self),
                            count: Int(PQgetlength(result, row, column)))
    }
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
