import PostgresClient

/// One statement and how its rows become a value: a page runs several in one pipeline (one round trip, `Store.run`),
/// and the store's own calls run the same read alone.
public struct StoreRead<Value> {
    let sql: String
    let parameters: [any PostgresEncodable]
    let decode: (QueryResult) throws -> Value
}

/// A list's optional filter in SQL: `condition` when the filter is given, else `unset`, which only names the filter's
/// parameters (so they keep a type) and is always true. Written as `($2 IS NULL OR column = $2)` instead, the generic plan
/// PostgreSQL caches for a prepared statement after five calls can use no index for the filter and reads the
/// organization's rows in list order until enough pass: one objection's reports took 1.3 ms at 10k reports instead of
/// 0.03 ms, and more as the organization grows.
func sqlFilter(_ given: Bool, _ condition: String, unset: String) -> String { given ? condition : unset }

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
