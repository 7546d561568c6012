import Hummingbird
import Logging
import Metrics
import PostgresClient
import RoadworkDomain
import RoadworkStore

/// Counts what each request sends to PostgreSQL (a debug log line per request and the `roadwork_db_statements_total` /
/// `roadwork_db_round_trips_total` counters per route), and lets a read-only request's session lookup keep its
/// transaction for the request's first read (`HeldSession`). At trace level each round trip's statements are logged too.
struct DatabaseWorkMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let pool: ConnectionPool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let tally = StatementTally(recording: context.logger.logLevel <= .trace)
        let held = [.get, .head].contains(request.method) ? HeldSession(pool: pool) : nil
        let response: Response
        do {
            response = try await StatementTally.$current.withValue(tally) {
                try await HeldSession.$current.withValue(held) { try await next(request, context) }
            }
        } catch {
            await held?.end()
            report(tally, request: request, context: context, status: nil)
            throw error
        }
        await held?.end()
        report(tally, request: request, context: context, status: response.status.code)
        return response
    }

    private func report(_ tally: StatementTally, request: Request, context: Context, status: Int?) {
        let route = context.endpointPath ?? "unmatched"
        if tally.statements > 0 {
            Counter(label: "roadwork_db_statements_total", dimensions: [("route", route)]).increment(by: tally.statements)
            Counter(label: "roadwork_db_round_trips_total", dimensions: [("route", route)]).increment(by: tally.roundTrips)
        }
        context.logger.debug("request", metadata: [
            "method": .string(request.method.rawValue), "path": .string(request.uri.path), "route": .string(route),
            "status": status.map { .stringConvertible($0) } ?? "error",
            "statements": .stringConvertible(tally.statements), "round_trips": .stringConvertible(tally.roundTrips),
        ])
        if tally.recording, let trips = try? JSONWriter.encode(tally.recorded) {
            // One JSON document (null for SQL NULL), so a tool can replay the request's SQL (deploy/bench's pgbench twins).
            context.logger.trace("sql", metadata: ["route": .string(route), "round_trips": .string(String(decoding: trips, as: UTF8.self))])
        }
    }
}
