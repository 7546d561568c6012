import Foundation
import Synchronization

/// The review pages open on this server process, told when their organization's joint review changes, whichever process
/// made the change (PostgreSQL's NOTIFY on `roadwork_review`, listened to by `ChangeListener`).
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
