import Logging
import RoadworkStore
import ServiceLifecycle

/// Teaches objections the wording of newly linked reports, in the background of every server process: a report's words
/// reach its objection's matches a moment after the report is filed or triaged, and the request never waits for it.
struct TeachingService: Service {
    let database: Database
    let logger: Logger
    /// Reports taught per statement; a full batch means more are waiting, so the next one starts at once.
    static let batch = 500

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let pause: Duration
                do {
                    pause = try await database.teachQueuedReports(limit: Self.batch) < Self.batch ? .milliseconds(200) : .zero
                } catch {
                    // The database may be away for a while; queued reports wait in it and are taught once it is back.
                    logger.warning("teaching queued reports failed", metadata: ["error": "\(error)"])
                    pause = .seconds(1)
                }
                try? await Task.sleep(for: pause)
            }
        }
    }
}
