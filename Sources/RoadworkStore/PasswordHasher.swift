import HummingbirdBcrypt
import NIOPosix
import Synchronization

/// bcrypt password hashes; the cost is configurable so tests can sign in quickly.
public struct PasswordHasher: Sendable {
    public let cost: UInt8

    public init(cost: UInt8 = 12) { self.cost = cost }

    public func hash(_ password: String) -> String { Bcrypt.hash(password, cost: cost) }

    /// bcrypt is deliberately slow: servers hash on a worker thread, never on an event loop.
    public func hashOffLoop(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { hash(password) }
    }

    public func verify(_ password: String, hash: String) -> Bool { Bcrypt.verify(password, hash: hash) }

    /// A real hash at the configured cost to check against when the email is unknown or the person inactive, so every
    /// refusal costs one verification, as a wrong password does. Made once per cost: hashing it on each attempt made
    /// unknown emails take twice as long, which told who has an account.
    public var decoy: String {
        Self.decoys.withLock { decoys in
            if let made = decoys[cost] { return made }
            let made = Bcrypt.hash("decoy password that never matches", cost: cost)
            decoys[cost] = made
            return made
        }
    }

    private static let decoys = Mutex<[UInt8: String]>([:])
}
