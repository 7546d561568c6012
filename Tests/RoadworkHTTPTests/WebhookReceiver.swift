import AsyncHTTPClient
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import Testing

/// A real HTTP receiver on 127.0.0.1, as an integrator would run one: it verifies each request's signature as the README
/// tells receivers to, records what arrived, and can be told to fail (503) or to hang on the next request.
actor WebhookReceiver {
    struct Received: Sendable {
        let eventID: String
        let eventType: String
        let signature: String
        let body: String
        let json: [String: any Sendable]
    }

    private(set) var received: [Received] = []
    /// Requests that reached the receiver, answered or not yet.
    private(set) var arrivals = 0
    private(set) var port = 0
    var failing = false
    private var hangNext: Duration?
    private var task: Task<Void, any Error>?

    /// Starts listening on a free port.
    static func start() async throws -> WebhookReceiver {
        let receiver = WebhookReceiver()
        try await receiver.listen()
        return receiver
    }

    private func listen() async throws {
        let router = Router()
        router.post("hook") { [self] request, context -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            return await self.handle(headers: request.headers, body: String(buffer: body))
        }
        let started = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in started.continuation.yield(channel.localAddress?.port ?? 0) })
        task = Task { try await app.runService(gracefulShutdownSignals: []) }
        for await port in started.stream { self.port = port; break }
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }

    func stop() { task?.cancel() }
    func setFailing(_ value: Bool) { failing = value }
    func hangOnNextRequest(for duration: Duration) { hangNext = duration }

    private func handle(headers: HTTPFields, body: String) async -> Response {
        arrivals += 1
        if let hang = hangNext {
            hangNext = nil
            try? await Task.sleep(for: hang)
        }
        if failing { return Response(status: .serviceUnavailable) }
        let json = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        received.append(Received(eventID: headers[HTTPField.Name("Roadwork-Event-Id")!] ?? "",
                                 eventType: headers[HTTPField.Name("Roadwork-Event-Type")!] ?? "",
                                 signature: headers[HTTPField.Name("Roadwork-Signature")!] ?? "", body: body,
                                 json: json.mapValues { "\($0)" }))
        return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "thanks")))
    }

    /// Waits until `count` requests arrived (or `timeout` passed) and returns them.
    func waitFor(_ count: Int, timeout: Duration = .seconds(30)) async throws -> [Received] {
        let deadline = ContinuousClock.now + timeout
        while received.count < count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        return received
    }

    /// The check a receiver makes (README, "Verifying webhooks"): the signature is HMAC-SHA256 of "t.body" with the
    /// endpoint's secret, and t is recent (five minutes), so a captured request cannot be replayed later.
    static func verify(signature header: String, body: String, secret: String, now: Date = Date(), tolerance: TimeInterval = 300) -> Bool {
        var timestamp: Int?
        var signatures: [String] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int(pair[1]) } else if pair[0] == "v1" { signatures.append(pair[1]) }
        }
        guard let timestamp, abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance else { return false }
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).\(body)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        let expected = mac.map { String(format: "%02x", $0) }.joined()
        // Compared without stopping at the first difference, so timing says nothing about how much of a guess was right.
        return signatures.contains { $0.utf8.count == expected.utf8.count && zip($0.utf8, expected.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0 }
    }
}

/// A `roadwork serve` process of the built binary on the test database, as an operator runs it: real background workers,
/// killable with SIGKILL mid-work.
final class ServerProcess: @unchecked Sendable {
    let port: Int
    private let process = Process()

    init(port: Int, environment extra: [String: String] = [:]) throws {
        self.port = port
        let binary = try #require(ProcessInfo.processInfo.environment["ROADWORK_TEST_BIN"], "ROADWORK_TEST_BIN is not set: run the suite with deploy/test")
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--port", String(port)]
        var environment = ProcessInfo.processInfo.environment
        environment["ROADWORK_DATABASE_URL"] = try TestDatabase.url()
        environment["ROADWORK_LOG_LEVEL"] = "warning"
        environment["ROADWORK_WEBHOOK_ALLOW_PRIVATE"] = "true"
        environment["ROADWORK_WEBHOOK_BACKOFF_SECONDS"] = "0.2"
        environment["ROADWORK_WEBHOOK_BACKOFF_MAX_SECONDS"] = "1"
        environment["ROADWORK_WEBHOOK_LEASE_SECONDS"] = "3"
        environment["ROADWORK_BCRYPT_COST"] = "4"
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    /// Waits for /readyz.
    func ready() async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/readyz"), timeout: .seconds(1)),
               response.status == .ok { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("server on port \(port) did not become ready")
    }

    /// SIGKILL: no graceful shutdown, whatever it was doing is cut off.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        awaitExit()
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        if !awaitExit(seconds: 20) { kill() }
    }

    /// Foundation's `waitUntilExit` was seen to hang on a killed child (left a zombie, the suite stuck): wait for
    /// `isRunning` to turn false instead, a bounded time. A dead process has closed its sockets either way.
    @discardableResult
    private func awaitExit(seconds: Double = 5) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        return !process.isRunning
    }

    /// A JSON request to this server; returns the status and the decoded body.
    func call(_ method: NIOHTTP1.HTTPMethod, _ path: String, token: String?, body: Any? = nil, ifMatch: String? = nil) async throws -> (Int, [String: Any]) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let ifMatch { request.headers.add(name: "If-Match", value: ifMatch) }
        request.headers.add(name: "Content-Type", value: "application/json")
        if let body { request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let data = try await response.body.collect(upTo: 1 << 20)
        let object = (try? JSONSerialization.jsonObject(with: Data(buffer: data))) as? [String: Any] ?? [:]
        return (Int(response.status.code), object)
    }
}

/// Ports for server processes, apart from the browser tests' and from each other.
enum TestPorts {
    private static let counter = Counter()
    static func next() -> Int { 18_200 + counter.next() }

    final class Counter: @unchecked Sendable {
        private var value = Int(ProcessInfo.processInfo.processIdentifier % 200) * 10
        private let lock = NSLock()
        func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value % 2000 }
    }
}
