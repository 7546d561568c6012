/// Outcomes that are not validation failures but still the caller's to handle (404, 409, 412, 403).
public enum DomainError: Error, Sendable, Equatable {
    /// The object does not exist in this organization.
    case notFound(String)
    /// The change clashes with the current state.
    case conflict(String)
    /// The caller's `If-Match` version is stale.
    case staleVersion(current: Int)
    /// The caller's role may not do this.
    case forbidden(String)
}
