import Hummingbird
import Logging
import Metrics
import PostgresClient
import RoadworkDomain
import RoadworkStore
import Synchronization

/// Counts what each request sends to PostgreSQL (a debug log line per request and the `roadwork_db_statements_total` /
/// `roadwork_db_round_trips_total` counters per route; at trace level each round trip's statements too), and lets a
/// read-only request take its session on trust (`SessionCheck`): the lookup then travels with the request's first read.
/// Should the session have changed, the request runs again with a fresh lookup; what the first run read is dropped.
struct DatabaseWorkMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let database: Database

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let tally = StatementTally(recording: context.logger.logLevel <= .trace)
        defer { report(tally, request: request, context: context) }
        return try await StatementTally.$current.withValue(tally) {
            // Only reads run twice safely: their bodies are empty and they change nothing a second run would repeat.
            guard [.get, .head].contains(request.method) else { return try await next(request, context) }
            let check = SessionCheck()
            do {
                let response = try await SessionCheck.$current.withValue(check) { try await next(request, context) }
                if try await database.verify(check) { return response }
            } catch is SessionCheck.Changed {
            } catch {
                guard try await database.verify(check) else { return try await next(request, context) }
                throw error
            }
            return try await next(request, context)
        }
    }

    private func report(_ tally: StatementTally, request: Request, context: Context) {
        let route = context.endpointPath ?? "unmatched"
        if tally.statements > 0 {
            let counters = Self.counters(route)
            counters.statements.increment(by: tally.statements)
            counters.roundTrips.increment(by: tally.roundTrips)
        }
        context.logger.debug("request", metadata: [
            "method": .string(request.method.rawValue), "path": .string(request.uri.path), "route": .string(route),
            "statements": .stringConvertible(tally.statements), "round_trips": .stringConvertible(tally.roundTrips),
        ])
        if tally.recording, let trips = try? JSONWriter.encode(tally.recorded) {
            // One JSON document (null for SQL NULL), so a tool can replay the request's SQL (deploy/bench's pgbench twins).
            context.logger.trace("sql", metadata: ["route": .string(route), "round_trips": .string(String(decoding: trips, as: UTF8.self))])
        }
    }

    /// The counters of each route, made once: making one resolves and sanitizes its name in the registry every time.
    private static let routeCounters = Mutex<[String: (statements: Counter, roundTrips: Counter)]>([:])

    private static func counters(_ route: String) -> (statements: Counter, roundTrips: Counter) {
        routeCounters.withLock { counters in
            if let made = counters[route] { return made }
            let made = (Counter(label: "roadwork_db_statements_total", dimensions: [("route", route)]),
                        Counter(label: "roadwork_db_round_trips_total", dimensions: [("route", route)]))
            counters[route] = made
            return made
        }
    }
}
