import HummingbirdBcrypt
import NIOPosix

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

    /// A real hash to check against when the email is unknown, so both answers take as long.
    public var decoy: String { Bcrypt.hash("decoy password that never matches", cost: cost) }
}
