import Foundation
import Logging
import NIOPosix
import PostgresClient
import RoadworkStore
import ServiceLifecycle

/// Hears, with a connection of its own, what every server process announces through PostgreSQL's NOTIFY: joint review
/// changes (`roadwork_review`, handed to `ReviewChanges`) and, with a read replica, who just wrote (`roadwork_write`,
/// handed to the database so that person's reads stay on the primary here too). Reconnects after a second when the
/// database goes away, and then tells every review page to look again (it may have missed a change).
struct ChangeListener: Service {
    let conninfo: String
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
                        let connection = try Connection(conninfo: conninfo)
                        try connection.execute("LISTEN roadwork_review")
                        if database.replica != nil { try connection.execute("LISTEN \(Database.writesChannel)") }
                        return connection
                    }
                    changes.announce(orgID: nil)
                    while !Task.isCancelled {
                        for notice in try await thread.runIfActive({ try connection.notifications(waitingUpTo: 500) }) {
                            if notice.channel == Database.writesChannel {
                                UUID(uuidString: notice.payload).map(database.noteWrite(by:))
                            } else {
                                changes.announce(orgID: UUID(uuidString: String(notice.payload.prefix { $0 != " " })))
                            }
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
}
