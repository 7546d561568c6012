import Synchronization

/// Lets at most `limit` callers run a piece of work at once; the others wait their turn, first come first served. For
/// work that keeps a database core busy (the similar-objections search): more of it at once than there are cores only
/// makes PostgreSQL share the cores by time slices, so every search takes longer and the slowest much longer.
final class ConcurrencyLimit: Sendable {
    private struct State {
        var running = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    let limit: Int
    private let state = Mutex(State())

    init(_ limit: Int) {
        precondition(limit > 0, "the limit must be positive")
        self.limit = limit
    }

    func run<T: Sendable>(_ work: () async throws -> T) async throws -> T {
        await enter()
        defer { leave() }
        return try await work()
    }

    private func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state -> Bool in
                guard state.running < limit else {
                    state.waiting.append(continuation)
                    return false
                }
                state.running += 1
                return true
            }
            if admitted { continuation.resume() }
        }
    }

    /// Hands the place to the longest waiter, or frees it.
    private func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.running -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
