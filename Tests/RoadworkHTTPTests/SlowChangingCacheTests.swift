import Foundation
import Synchronization
import Testing
@testable import RoadworkHTTP

@Suite("Slow aggregates are computed once and never make a view wait twice")
struct SlowChangingCacheTests {
    final class Counter: Sendable {
        let calls = Atomic<Int>(0)
        func next() -> Int { calls.add(1, ordering: .relaxed).newValue }
    }

    @Test func firstViewsArrivingTogetherShareOneComputation() async throws {
        let cache = SlowChangingCache<Int>(lifetime: 60)
        let counter = Counter()
        let org = UUID()
        let values = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await cache.value(for: org) {
                        try await Task.sleep(for: .milliseconds(100))
                        return counter.next()
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(values == Array(repeating: 1, count: 8))
        #expect(counter.calls.load(ordering: .relaxed) == 1)
    }

    @Test(.timeLimit(.minutes(1)))
    func anOldValueIsServedWhileOneRefreshReplacesIt() async throws {
        let cache = SlowChangingCache<Int>(lifetime: 0.05)
        let counter = Counter()
        let org = UUID()
        #expect(try await cache.value(for: org) { counter.next() } == 1)
        try await Task.sleep(for: .milliseconds(100))
        // The refresh cannot finish until the gate opens: a view that waited for it would never return.
        let gate = AsyncStream<Void>.makeStream()
        let gated: @Sendable () async throws -> Int = {
            for await _ in gate.stream { break }
            return counter.next()
        }
        #expect(try await cache.value(for: org, compute: gated) == 1)
        #expect(try await cache.value(for: org, compute: gated) == 1)
        gate.continuation.yield()
        var latest = 1
        while latest == 1 {
            try await Task.sleep(for: .milliseconds(10))
            latest = try await cache.value(for: org, compute: gated)
        }
        #expect(latest == 2)
        #expect(counter.calls.load(ordering: .relaxed) == 2)
    }

    @Test func aFailedComputationIsTriedAgainByTheNextView() async throws {
        struct Unavailable: Error {}
        let cache = SlowChangingCache<Int>(lifetime: 60)
        let org = UUID()
        await #expect(throws: Unavailable.self) { try await cache.value(for: org) { throw Unavailable() } }
        #expect(try await cache.value(for: org) { 7 } == 7)
    }

    @Test func organizationsKeepTheirOwnValues() async throws {
        let cache = SlowChangingCache<String>(lifetime: 60)
        let (a, b) = (UUID(), UUID())
        #expect(try await cache.value(for: a) { "alpha" } == "alpha")
        #expect(try await cache.value(for: b) { "beta" } == "beta")
        #expect(try await cache.value(for: a) { "changed" } == "alpha")
    }
}
