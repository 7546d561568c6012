import RoadworkDomain
import RoadworkStore

/// Every change a person can make, one function each, called by both the API controllers and the pages. Each checks its
/// input with the domain's rules and writes it through the store in one transaction of the person's organization, where
/// the store also records the change's audit event and domain event. Controllers and pages only parse a request, call
/// one of these and respond; who may call which (roles) is checked where the request comes in.
///
/// The files are named after what changes: reports, objections, content, focus items, reviews, the organization and its
/// people, integrations, vocabulary.
public struct Actions: Sendable {
    public let database: Database
    /// Whether webhook endpoints may point at loopback or private addresses (an operator's setting).
    public let allowPrivateTargets: Bool

    public init(database: Database, allowPrivateTargets: Bool = false) {
        self.database = database
        self.allowPrivateTargets = allowPrivateTargets
    }

    /// Runs one change as `identity`, in a transaction of their organization.
    func change<T: Sendable>(by identity: Identity, _ body: @escaping @Sendable (Store) throws -> T) async throws -> T {
        try await database.change(by: identity, body)
    }
}
