import Foundation
import RoadworkDomain
import Synchronization

/// One read-only request's session taken on trust. Inside its scope (`SessionCheck.$current`) `Database.authenticate`
/// answers a token it saw recently from memory, with no round trip; the request's first `tenant` transaction then sends
/// the real lookup with its first statement and compares, before anything it read is used. A session that changed
/// (revoked, expired, deactivated, another role) throws `Changed` and the request must run again with a fresh lookup;
/// a request that used no transaction is checked afterwards with `Database.verify(_:)`. So revoking a session or token
/// takes effect on the next request on every server process, as without the cache.
public final class SessionCheck: Sendable {
    @TaskLocal public static var current: SessionCheck?

    /// The session a request took on trust is not what the database says now.
    public struct Changed: Error {}

    /// A session taken on trust and not yet checked.
    struct Expected {
        let check: SessionCheck
        let token: String
        let identity: Identity

        /// Whether the person the database names now is the one taken on trust: marks the check done, or forgets the
        /// token so the request's second run looks it up afresh.
        func confirm(_ current: Identity?, in sessions: SessionCache) -> Bool {
            guard current == identity else {
                sessions.forget(token)
                return false
            }
            check.verified()
            return true
        }
    }

    private struct State {
        var token: String?
        var identity: Identity?
        var verified = false
    }

    private let state = Mutex(State())

    public init() {}

    func expect(token: String, identity: Identity) {
        state.withLock { $0 = State(token: token, identity: identity, verified: false) }
    }

    /// The session still to check, if its organization is `orgID` (any when nil).
    func unverified(orgID: UUID?) -> Expected? {
        state.withLock { state in
            guard !state.verified, let token = state.token, let identity = state.identity, orgID == nil || identity.orgID == orgID else { return nil }
            return Expected(check: self, token: token, identity: identity)
        }
    }

    func verified() { state.withLock { $0.verified = true } }
}

/// Recently seen session tokens and who they were, per server process: a hint, never the last word (see `SessionCheck`).
final class SessionCache: Sendable {
    private struct Entry {
        let identity: Identity
        let seen: Date
    }

    /// Bounds the memory: at the limit the cache starts afresh.
    static let limit = 10_000
    static let lifetime: TimeInterval = 300
    private let entries = Mutex<[String: Entry]>([:])

    func identity(for token: String, now: Date = Date()) -> Identity? {
        entries.withLock { entries in
            guard let entry = entries[token], now.timeIntervalSince(entry.seen) < Self.lifetime else { return nil }
            return entry.identity
        }
    }

    func remember(_ token: String, _ identity: Identity, now: Date = Date()) {
        entries.withLock { entries in
            if entries.count >= Self.limit { entries.removeAll(keepingCapacity: true) }
            entries[token] = Entry(identity: identity, seen: now)
        }
    }

    func forget(_ token: String) {
        _ = entries.withLock { $0.removeValue(forKey: token) }
    }
}
