import Foundation
import RoadworkStore
import Synchronization

/// Per-organization values that move slowly (12-week trends, new walls), kept for a minute so the home page
/// does not re-aggregate weeks of reports on every view. Each server process keeps its own copy.
final class SlowChangingCache: Sendable {
    struct Entry: Sendable {
        let trends: [TrendSeries]
        let emerging: [EmergingWall]
        let expires: Date
    }

    private let entries = Mutex<[UUID: Entry]>([:])
    let lifetime: TimeInterval

    init(lifetime: TimeInterval = 60) { self.lifetime = lifetime }

    /// The organization's entry, computed by `make` when missing or older than the lifetime.
    func entry(for orgID: UUID, now: Date = Date(), make: () throws -> (trends: [TrendSeries], emerging: [EmergingWall])) rethrows -> Entry {
        if let entry = entries.withLock({ $0[orgID] }), entry.expires > now { return entry }
        let (trends, emerging) = try make()
        let entry = Entry(trends: trends, emerging: emerging, expires: now.addingTimeInterval(lifetime))
        entries.withLock { $0[orgID] = entry }
        return entry
    }
}
