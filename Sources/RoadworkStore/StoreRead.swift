import PostgresClient

/// One statement and how its rows become a value: a page runs several in one pipeline (one round trip, `Store.run`),
/// and the store's own calls run the same read alone.
public struct StoreRead<Value> {
    let sql: String
    let parameters: [any PostgresEncodable]
    let decode: (QueryResult) throws -> Value
}

extension Store {
    /// Runs one read.
    public func run<Value>(_ read: StoreRead<Value>) throws -> Value {
        try read.decode(connection.query(read.sql, read.parameters))
    }

    /// Sends every read in one pipeline, then decodes each as if it had run alone. A page's reads that do not depend on
    /// each other cost one round trip instead of one each.
    public func run<each Value>(_ reads: repeat StoreRead<each Value>) throws -> (repeat each Value) {
        var statements: [(sql: String, parameters: [any PostgresEncodable])] = []
        for read in repeat each reads { statements.append((read.sql, read.parameters)) }
        var results = try connection.queries(statements).makeIterator()
        return (repeat try (each reads).decode(results.next()!))
    }
}
