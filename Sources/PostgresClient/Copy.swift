import CLibPQ

extension Connection {
    /// Streams rows into `COPY … FROM STDIN` (text format): the fast path for bulk loads.
    /// `produce` is called until it returns nil; each chunk holds whole lines ending in "\n". When `produce` throws, the
    /// COPY is aborted (the server discards what it got) and the error is rethrown, so the connection stays usable.
    @discardableResult
    public func copyIn(_ sql: String, _ produce: () throws -> String?) throws -> Int {
        try flushPending()
        let started = try query(sql)
        _ = started
        var failure: (any Error)?
        var producerFailure: (any Error)?
        while failure == nil {
            let chunk: String?
            do { chunk = try produce() } catch { producerFailure = error; break }
            guard let chunk else { break }
            let sent = chunk.utf8CString.withUnsafeBufferPointer { buffer in
                PQputCopyData(handle, buffer.baseAddress, Int32(buffer.count - 1))
            }
            if sent != 1 { failure = PostgresError.connection("COPY: \(lastError)") }
        }
        PQputCopyEnd(handle, failure == nil && producerFailure == nil ? nil : "aborted by client")
        var rows = 0
        while let result = PQgetResult(handle) {
            defer { PQclear(result) }
            if PQresultStatus(result) != PGRES_COMMAND_OK {
                failure = failure ?? PostgresError.connection("COPY failed: \(String(cString: PQresultErrorMessage(result)))")
            } else if let text = PQcmdTuples(result) {
                rows = Int(String(cString: text)) ?? 0
            }
        }
        if let producerFailure { throw producerFailure }
        if let failure { throw failure }
        return rows
    }
}
