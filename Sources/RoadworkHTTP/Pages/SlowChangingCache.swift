import Foundation
import Synchronization

/// Per-organization values that move slowly (12-week trends, new walls) and take long to aggregate. A value older than
/// the lifetime is still served while one background refresh replaces it; only an organization's first view waits, and
/// first views arriving together share one computation. Each server process keeps its own copy.
final class SlowChangingCache<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var computedAt = Date.distantPast
        var refresh: Task<Value, any Error>?
    }

    private let states = Mutex<[UUID: State]>([:])
    let lifetime: TimeInterval

    init(lifetime: TimeInterval = 60) { self.lifetime = lifetime }

    /// The organization's value: the kept one (starting a refresh when it is old), or the first one computed by `compute`.
    func value(for orgID: UUID, now: Date = Date(), compute: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let (kept, refresh) = states.withLock { states -> (Value?, Task<Value, any Error>?) in
            var state = states[orgID] ?? State()
            if let value = state.value, now.timeIntervalSince(state.computedAt) < lifetime { return (value, nil) }
            if state.refresh == nil {
                state.refresh = Task {
                    do {
                        let value = try await compute()
                        self.finish(orgID, with: value)
                        return value
                    } catch {
                        self.finish(orgID, with: nil)
                        throw error
                    }
                }
                states[orgID] = state
            }
            return (state.value, state.refresh)
        }
        if let kept { return kept }
        return try await refresh!.value
    }

    private func finish(_ orgID: UUID, with value: Value?) {
        states.withLock { states in
            states[orgID]?.refresh = nil
            if let value {
                states[orgID]?.value = value
                states[orgID]?.computedAt = Date()
            }
        }
    }
}
