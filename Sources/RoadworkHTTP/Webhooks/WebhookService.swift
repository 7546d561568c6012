import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import RoadworkActions
import RoadworkDomain
import RoadworkStore
import ServiceLifecycle

/// Delivers the outbox to webhook endpoints, in the background of every server process. Each round hands new events to
/// the endpoints that want them, leases a few endpoints with deliveries due (one process per endpoint at a time, so an
/// endpoint gets its events in order) and sends each one's oldest deliveries in order, a few at once where no order
/// between them matters (`window(of:)`). A delivery is marked
/// done only after the receiver answered 2xx, so a process that dies mid-batch leaves it pending: once the lease runs out
/// another process sends it again, with the same event id (at least once).
struct WebhookService: Service {
    let database: Database
    let logger: Logger
    let publicURL: String
    let allowPrivate: Bool
    let policy: DeliveryPolicy
    let leaseSeconds: Int

    static let endpointsPerRound = 8
    static let deliveriesPerEndpoint = 200
    static let requestTimeout: TimeAmount = .seconds(10)
    /// How much of a response the delivery log keeps; the rest is not read.
    static let responseSnippetBytes = 500

    func run() async throws {
        // Redirects are not followed: a public URL could otherwise redirect the server to an internal one.
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: Self.requestTimeout))
        // No tracer is set up in this process; the client would otherwise make a span for each delivery that goes nowhere.
        configuration.tracing.tracer = nil
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        await cancelWhenGracefulShutdown {
            // Announcing emerging walls (every organization watching them, once a minute) and pruning run beside the
            // deliveries, so a round of deliveries never waits on work that grows with the number of organizations.
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await upkeep() }
                await deliver(with: client)
                group.cancelAll()
            }
        }
        try? await client.shutdown()
    }

    /// Hands new events to the endpoints that want them and sends what is due, round after round.
    func deliver(with client: HTTPClient) async {
        while !Task.isCancelled {
            var pause: Duration = .milliseconds(200)
            do {
                let dispatched = try await database.dispatchEvents(limit: 1000)
                let claimed = try await database.claimDeliveries(endpoints: Self.endpointsPerRound, perEndpoint: Self.deliveriesPerEndpoint,
                                                                 leaseSeconds: leaseSeconds)
                let batches = Dictionary(grouping: claimed, by: \.endpointID)
                // A full batch means more are waiting: go on at once. Otherwise let events gather for a moment, so a
                // steady stream goes out in batches (a round costs four short transactions whatever its size).
                if dispatched == 1000 || batches.values.contains(where: { $0.count == Self.deliveriesPerEndpoint }) {
                    pause = .zero
                } else if !claimed.isEmpty {
                    pause = .milliseconds(100)
                }
                await withTaskGroup(of: Void.self) { group in
                    for (_, batch) in batches { group.addTask { await send(batch, with: client) } }
                }
            } catch {
                // The database may be away for a while; events wait in the outbox and go out once it is back.
                logger.warning("webhook round failed", metadata: ["error": "\(error)"])
                pause = .seconds(1)
            }
            try? await Task.sleep(for: pause)
        }
    }

    /// Announces emerging walls once a minute and prunes old events and delivery logs once an hour.
    func upkeep() async {
        var lastPrune = ContinuousClock.now
        while !Task.isCancelled {
            do {
                _ = try await database.announceEmergingWalls(today: Day.today())
                if ContinuousClock.now - lastPrune > .seconds(3600) {
                    lastPrune = .now
                    try await database.pruneEvents()
                }
            } catch {
                logger.warning("announcing emerging walls or pruning failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(60))
        }
    }

    /// Sends one endpoint's batch in order; the first failure ends the batch (the endpoint then backs off) so later events
    /// do not overtake it.
    func send(_ batch: [ClaimedDelivery], with client: HTTPClient) async {
        guard let first = batch.first else { return }
        let started = ContinuousClock.now
        var delivered: [(delivery: UUID, status: Int, latencyMs: Int, response: String)] = []
        var failed = false
        if let refusal = await WebhookTarget.refusal(for: first.url, allowPrivate: allowPrivate) {
            await record(first, ok: false, status: nil, latencyMs: 0, response: nil, error: "refused: the URL \(refusal)")
            failed = true
        } else {
            // A batch stops taking new deliveries halfway through the lease, so no other process takes the endpoint meanwhile.
            var rest = batch[...]
            let signer = WebhookSigner(secret: first.secret)
            while !failed, !rest.isEmpty, ContinuousClock.now - started < .seconds(leaseSeconds) / 2 {
                let window = Self.window(of: rest)
                rest = rest.dropFirst(window.count)
                for (delivery, outcome) in zip(window, await post(window, signer: signer, with: client)) {
                    if let status = outcome.status, (200..<300).contains(status) {
                        delivered.append((delivery.deliveryID, status, outcome.latencyMs, outcome.response ?? ""))
                    } else if !failed {
                        // Later deliveries of the window that failed too stay pending and go again after this one.
                        await record(delivery, ok: false, status: outcome.status, latencyMs: outcome.latencyMs, response: outcome.response,
                                     error: outcome.error ?? "HTTP \(outcome.status ?? 0)")
                        failed = true
                    }
                }
            }
        }
        do {
            try await database.recordDelivered(delivered)
            // A failure already ended the lease (and set when to try again).
            if !failed { try await database.releaseEndpoint(first.endpointID) }
        } catch {
            logger.warning("recording webhook deliveries failed", metadata: ["error": "\(error)", "endpoint": "\(first.endpointID)"])
        }
    }

    func record(_ delivery: ClaimedDelivery, ok: Bool, status: Int?, latencyMs: Int, response: String?, error: String?) async {
        do {
            try await database.recordAttempt(delivery.deliveryID, ok: ok, status: status, latencyMs: latencyMs, response: response,
                                             error: error, policy: policy)
        } catch {
            logger.warning("recording a webhook attempt failed", metadata: ["error": "\(error)", "delivery": "\(delivery.deliveryID)"])
        }
        logger.info("webhook delivery failed", metadata: ["endpoint": "\(delivery.endpointID)", "event": "\(delivery.eventID)",
                                                          "status": "\(status.map(String.init) ?? "-")", "error": "\(error ?? "")"])
    }

    /// The deliveries sent together next: up to `inFlight` events of one type about different objects, from the front of
    /// the batch (many reports filed, say). An event thus goes out only once every earlier event of another type, or about
    /// the same object, was answered: `objection.created` before the reports triaged to it, a bite's changes in their order.
    /// An endpoint being retried gets one delivery first (a probe), and a Slack channel one at a time, in order.
    static func window(of batch: ArraySlice<ClaimedDelivery>) -> ArraySlice<ClaimedDelivery> {
        guard let first = batch.first, first.attempts == 0, first.format != .slack else { return batch.prefix(1) }
        var objects: Set<UUID> = []
        var end = batch.startIndex
        while end < batch.endIndex, end - batch.startIndex < inFlight, batch[end].eventType == first.eventType {
            if let object = batch[end].objectID, !objects.insert(object).inserted { break }
            end += 1
        }
        return batch[..<end]
    }

    /// Deliveries sent at once; more in flight means fewer wake-ups per event in this process and in the receiver.
    static let inFlight = 16

    /// Sends a window's deliveries at once; their outcomes in the window's order.
    func post(_ window: ArraySlice<ClaimedDelivery>, signer: WebhookSigner, with client: HTTPClient) async -> [Outcome] {
        let messages = window.map { WebhookMessage($0, publicURL: publicURL, signer: signer) }
        if window.count == 1, let only = window.first { return [await post(only, messages[0], with: client)] }
        return await withTaskGroup(of: (Int, Outcome).self) { group in
            for (index, (delivery, message)) in zip(window, messages).enumerated() {
                group.addTask { (index, await post(delivery, message, with: client)) }
            }
            var outcomes = [Outcome?](repeating: nil, count: window.count)
            for await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes.map { $0! }
        }
    }

    typealias Outcome = (status: Int?, response: String?, latencyMs: Int, error: String?)

    /// One POST: the status, the first bytes of the answer, how long it took, or what went wrong.
    func post(_ delivery: ClaimedDelivery, _ message: WebhookMessage, with client: HTTPClient) async -> Outcome {
        var request = HTTPClientRequest(url: delivery.url)
        request.method = .POST
        for (name, value) in message.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: message.body))
        let started = ContinuousClock.now
        func elapsed() -> Int {
            let taken = (ContinuousClock.now - started).components
            return Int(taken.seconds * 1000 + taken.attoseconds / 1_000_000_000_000_000)
        }
        do {
            let response = try await client.execute(request, timeout: Self.requestTimeout)
            var snippet = ByteBuffer()
            for try await chunk in response.body {
                var chunk = chunk
                snippet.writeBuffer(&chunk)
                if snippet.readableBytes >= Self.responseSnippetBytes { break }
            }
            let text = String(decoding: snippet.readableBytesView.prefix(Self.responseSnippetBytes), as: UTF8.self)
            return (Int(response.status.code), text, elapsed(), nil)
        } catch {
            return (nil, nil, elapsed(), "\(error)")
        }
    }
}
