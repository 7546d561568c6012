import Foundation
import Logging
import NIOPosix
import PostgresClient
import ServiceLifecycle
import Synchronization

/// The review pages open on this server process, told when their organization's joint review changes, whichever process
/// made the change (PostgreSQL's NOTIFY on `roadwork_review`, listened to by `ReviewListener`).
final class ReviewChanges: Sendable {
    enum Signal: Sendable { case changed, keepAlive }

    private let pages = Mutex<[UUID: (orgID: UUID, continuation: AsyncStream<Signal>.Continuation)]>([:])

    /// A stream of signals for one open page, and how to end it; it leaves the list when the page goes away.
    func subscribe(orgID: UUID) -> (signals: AsyncStream<Signal>, end: @Sendable () -> Void) {
        let (stream, continuation) = AsyncStream.makeStream(of: Signal.self, bufferingPolicy: .bufferingNewest(2))
        let id = UUID()
        pages.withLock { $0[id] = (orgID, continuation) }
        continuation.onTermination = { [weak self] _ in _ = self?.pages.withLock { $0.removeValue(forKey: id) } }
        return (stream, { continuation.finish() })
    }

    /// The organization's review changed; nil: anything may have (the listener reconnected and may have missed some).
    func announce(orgID: UUID?) {
        pages.withLock { pages in
            for page in pages.values where orgID == nil || page.orgID == orgID { page.continuation.yield(.changed) }
        }
    }

    /// A comment down every open stream, so a page that went away is noticed (its write fails) and proxies keep it open.
    func keepAlive() { pages.withLock { pages in for page in pages.values { page.continuation.yield(.keepAlive) } } }

    /// Ends every stream: the server is shutting down, and it waits for open responses to end.
    func finishAll() { pages.withLock { pages in for page in pages.values { page.continuation.finish() } } }
}

/// Listens on `roadwork_review` with a connection of its own and hands each change to `ReviewChanges`; reconnects after
/// a second when the database goes away, and then tells every page to look again (it may have missed a change).
struct ReviewListener: Service {
    let conninfo: String
    let changes: ReviewChanges
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
                        return connection
                    }
                    changes.announce(orgID: nil)
                    while !Task.isCancelled {
                        for notice in try await thread.runIfActive({ try connection.notifications(waitingUpTo: 500) }) {
                            changes.announce(orgID: UUID(uuidString: String(notice.payload.prefix { $0 != " " })))
                        }
                        if ContinuousClock.now - keptAlive > .seconds(15) {
                            changes.keepAlive()
                            keptAlive = .now
                        }
                    }
                } catch {
                    logger.warning("listening for review changes failed; retrying", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
        changes.finishAll()
        try? await thread.shutdownGracefully()
    }
}
