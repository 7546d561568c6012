import Synchronization
import Testing
@testable import RoadworkHTTP

@Suite("A limit on work running at once")
struct ConcurrencyLimitTests {
    final class Counts: Sendable {
        let state = Mutex((running: 0, most: 0, done: 0))
    }

    @Test func noMoreThanTheLimitRunAtOnceAndEveryCallerGetsItsTurn() async throws {
        let limit = ConcurrencyLimit(2)
        let counts = Counts()
        try await withThrowingTaskGroup(of: Int.self) { group in
            for n in 0..<10 {
                group.addTask {
                    try await limit.run {
                        counts.state.withLock { $0.running += 1; $0.most = max($0.most, $0.running) }
                        try await Task.sleep(for: .milliseconds(20))
                        counts.state.withLock { $0.running -= 1; $0.done += 1 }
                        return n
                    }
                }
            }
            var finished: Set<Int> = []
            for try await n in group { finished.insert(n) }
            #expect(finished == Set(0..<10))
        }
        counts.state.withLock {
            #expect($0.most == 2)
            #expect($0.done == 10 && $0.running == 0)
        }
    }

    @Test func aFailingCallerGivesItsPlaceBack() async throws {
        let limit = ConcurrencyLimit(1)
        struct Failed: Error {}
        await #expect(throws: Failed.self) { try await limit.run { () async throws -> Int in throw Failed() } }
        #expect(try await limit.run { 7 } == 7)
    }
}
