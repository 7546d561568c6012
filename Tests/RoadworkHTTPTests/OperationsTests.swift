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
                // It says which check failed, and when to ask again.
                let detail = try response.object()["detail"] as? String ?? ""
                #expect(detail.hasPrefix("Not ready: database:") && detail.contains("nonexistent"), "\(detail)")
                #expect(response.headers[.retryAfter] == "2")
            }
            try await client.execute(uri: "/api/v1/session", method: .post, body: json(["email": "a@b.co", "password": "x"])) { response in
                _ = try response.problemFields(status: .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "2")
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

@Suite("The database URL gets a connect timeout")
struct ConnectTimeoutTests {
    @Test func aURLWithoutOneGetsTheDefaultAndOneWithItsOwnKeepsIt() throws {
        var config = RoadworkConfig(environment: [:])
        config.databaseURL = "postgresql://app@10.0.0.1,10.0.0.2/roadwork?target_session_attrs=read-write"
        #expect(config.databaseURLWithConnectTimeout == config.databaseURL + "&connect_timeout=5")
        config.databaseURL = "postgresql:///roadwork"
        #expect(config.databaseURLWithConnectTimeout == "postgresql:///roadwork?connect_timeout=5")
        config.databaseURL = "host=/run dbname=roadwork"
        #expect(config.databaseURLWithConnectTimeout == "host=/run dbname=roadwork connect_timeout=5")
        config.databaseURL = "postgresql:///roadwork?connect_timeout=2"
        #expect(config.databaseURLWithConnectTimeout == "postgresql:///roadwork?connect_timeout=2")
        #expect(RoadworkConfig(environment: ["ROADWORK_DB_DEADLINE_SECONDS": "0"]).databaseDeadline == nil)
        #expect(RoadworkConfig(environment: ["ROADWORK_DB_DEADLINE_SECONDS": "2.5"]).databaseDeadline == .milliseconds(2500))
        #expect(RoadworkConfig(environment: [:]).databaseDeadline == .seconds(30))
    }
}
