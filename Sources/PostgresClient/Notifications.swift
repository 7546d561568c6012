import CLibPQ
import Glibc

/// A message sent with NOTIFY on a channel a connection LISTENs to (PostgreSQL delivers it when the sender commits).
public struct DatabaseNotification: Sendable, Equatable {
    public let channel: String
    public let payload: String
}

extension Connection {
    /// Waits at most `milliseconds` for notifications on the channels this connection listens to (`LISTEN` first) and
    /// returns those that arrived, empty when none did. A broken connection throws.
    public func notifications(waitingUpTo milliseconds: Int32) throws -> [DatabaseNotification] {
        try settle()
        let queued = drainNotifications()
        guard queued.isEmpty else { return queued }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, milliseconds)
        if ready < 0 && errno != EINTR { throw PostgresError.connection("waiting for notifications failed (errno \(errno))") }
        guard ready > 0 else { return [] }
        guard PQconsumeInput(handle) == 1 else { throw PostgresError.connection(Self.errorMessage(handle)) }
        return drainNotifications()
    }

    private func drainNotifications() -> [DatabaseNotification] {
        var found: [DatabaseNotification] = []
        while let notice = PQnotifies(handle) {
            found.append(DatabaseNotification(channel: String(cString: notice.pointee.relname), payload: String(cString: notice.pointee.extra)))
            PQfreemem(notice)
        }
        return found
    }
}
