import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresClient
import RoadworkHTTP
import RoadworkStore
import Testing

@Suite("Health, readiness, metrics and request ids")
struct OperationsTests {
    @Test func healthAndReadinessAnswer() async throws {
        let app = try TestApp()
        try await app.test { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func readinessFailsWhenTheDatabaseIsAway() async throws {
        var config = try TestApp().config
        config.databaseURL = "postgresql:///nowhere?host=/nonexistent&connect_timeout=1"
        let database = Database(pool: ConnectionPool(conninfo: config.databaseURL, size: 1))
        let app = Application(router: buildRouter(config: config, database: database))
        try await app.test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                _ = try response.problemFields(status: .serviceUnavailable)
            }
            try await client.execute(uri: "/api/v1/session", method: .post, body: json(["email": "a@b.co", "password": "x"])) { response in
                _ = try response.problemFields(status: .serviceUnavailable)
            }
        }
    }

    @Test func everyResponseCarriesARequestId() async throws {
        let app = try TestApp()
        try await app.test { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(!(response.headers[HTTPField.Name("X-Request-Id")!] ?? "").isEmpty)
            }
            try await client.execute(uri: "/no/such/page", method: .get) { response in
                _ = try response.problemFields(status: .notFound)
                #expect(!(response.headers[HTTPField.Name("X-Request-Id")!] ?? "").isEmpty)
            }
            try await client.execute(uri: "/healthz", method: .get, headers: [HTTPField.Name("X-Request-Id")!: "trace-123"]) { response in
                #expect(response.headers[HTTPField.Name("X-Request-Id")!] == "trace-123")
            }
        }
    }

    @Test func metricsCountRequestsByRouteAndStatus() async throws {
        let app = try TestApp()
        try await app.test { client in
            try await client.execute(uri: "/healthz", method: .get) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains("http_requests_total{http_route=\"/healthz\""))
                #expect(text.contains("http_request_duration_seconds_bucket"))
                #expect(text.contains("roadwork_db_pool_in_use"))
            }
        }
    }
}
