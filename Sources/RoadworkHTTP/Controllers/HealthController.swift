import Hummingbird
import NIOCore
import PostgresClient
import RoadworkStore

/// Liveness, readiness and Prometheus metrics; open to anyone (no tenant data).
struct HealthController {
    let database: Database

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("healthz") { _, _ in Self.text("ok\n") }
        router.get("readyz") { _, _ in
            // Says which check failed, for whoever is looking at the load balancer.
            if let failed = await database.unreadiness() {
                throw PostgresError.unavailable("Not ready: \(failed).")
            }
            return Self.text("ready\n")
        }
        router.get("metrics") { _, _ in
            RoadworkMetrics.record(database.pool.usage)
            RoadworkMetrics.record(database.suggestionMemo)
            if let replica = database.replica { await RoadworkMetrics.record(replica) }
            var buffer: [UInt8] = []
            RoadworkMetrics.registry.emit(into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }

    private static func text(_ body: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
