import Foundation
import Logging
import NIOPosix
import PostgresClient
import RoadworkStore
import ServiceLifecycle

/// Hears, with a connection of its own, what every server process announces through PostgreSQL's NOTIFY: joint review
/// changes (`roadwork_review`, handed to `ReviewChanges`) and, with a read replica, who just wrote (`roadwork_write`,
/// handed to the database so that person's reads stay on the primary here too). Reconnects after a second when the
/// database goes away or stops answering, and then tells every review page to look again (it may have missed a change).
struct ChangeListener: Service {
    let conninfo: String
    /// How long the connection's liveness probe may wait for an answer (the server's database deadline).
    let deadline: Duration
    let changes: ReviewChanges
    let database: Database
    let logger: Logger

    func run() async throws {
        // Waiting for a notification blocks a thread, so it gets one of its own instead of one of the shared pool's.
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        try? await cancelWhenGracefulShutdown {
            var keptAlive = ContinuousClock.now
            while !Task.isCancelled {
                do {
                    let connection = try await thread.runIfActive { () throws -> Connection in
                        let connection = try Connection(conninfo: conninfo, logger: logger)
                        try connection.execute("LISTEN roadwork_review")
                        if database.replica != nil { try connection.execute("LISTEN \(Database.writesChannel)") }
                        return connection
                    }
                    logger.info("listening for changes", metadata: ["host": "\(connection.host)", "port": "\(connection.port)"])
                    changes.announce(orgID: nil)
                    var probed = ContinuousClock.now
                    while !Task.isCancelled {
                        for notice in try await thread.runIfActive({ try connection.notifications(waitingUpTo: 500) }) {
                            if notice.channel == Database.writesChannel {
                                UUID(uuidString: notice.payload).map(database.noteWrite(by:))
                            } else {
                                changes.announce(orgID: UUID(uuidString: String(notice.payload.prefix { $0 != " " })))
                            }
                        }
                        if ContinuousClock.now - probed > .seconds(5) {
                            try await probe(connection, on: thread)
                            probed = .now
                        }
                        if ContinuousClock.now - keptAlive > .seconds(15) {
                            changes.keepAlive()
                            keptAlive = .now
                        }
                    }
                } catch {
                    logger.warning("listening for changes failed; retrying", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
        changes.finishAll()
        try? await thread.shutdownGracefully()
    }

    /// A server that hangs leaves this connection open and silent: a statement that gets no answer within the deadline
    /// cuts it off, and the loop connects again through the URL's host list (to the promoted standby after a failover).
    private func probe(_ connection: Connection, on thread: NIOThreadPool) async throws {
        let deadline = self.deadline
        let watchdog = Task {
            try await Task.sleep(for: deadline)
            connection.interrupt()
        }
        defer { watchdog.cancel() }
        try await thread.runIfActive { try connection.execute("SELECT 1") }
    }
}
