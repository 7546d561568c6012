import Foundation
import RoadworkDomain
@testable import RoadworkHTTP
@testable import RoadworkStore
import Testing

/// Which of an endpoint's pending deliveries the worker sends at once (`WebhookService.window`): events of one type about
/// different objects go together; anything that could depend on an earlier event waits for its answer.
@Suite("Webhook deliveries sent at once")
struct WebhookWindowTests {
    let endpoint = UUID()

    func delivery(_ type: String, about object: UUID?, attempts: Int = 0, format: WebhookFormat = .json) -> ClaimedDelivery {
        ClaimedDelivery(deliveryID: UUID(), endpointID: endpoint, orgID: UUID(), url: "http://receiver.example/hook", secret: "s",
                        format: format, attempts: attempts, eventID: UUID(), eventType: type, objectType: "field_report",
                        objectID: object, actorID: nil, data: "{}", occurredAt: Date())
    }

    func windows(_ batch: [ClaimedDelivery]) -> [[ClaimedDelivery]] {
        var rest = batch[...]
        var windows: [[ClaimedDelivery]] = []
        while !rest.isEmpty {
            let window = WebhookService.window(of: rest)
            windows.append(Array(window))
            rest = rest.dropFirst(window.count)
        }
        return windows
    }

    @Test func reportsFiledGoTogetherUpToTheLimitAndAnotherTypeWaitsForThem() {
        let filed = (0..<20).map { _ in delivery("report.filed", about: UUID()) }
        let created = delivery("objection.created", about: UUID())
        let sizes = windows(filed + [created] + filed.prefix(2).map { delivery("report.filed", about: $0.objectID) }).map(\.count)
        #expect(sizes == [WebhookService.inFlight, 20 - WebhookService.inFlight, 1, 2])
    }

    @Test func aSecondEventAboutOneObjectWaitsForTheFirst() {
        let bite = UUID()
        let batch = [delivery("content.status_changed", about: bite), delivery("content.status_changed", about: UUID()),
                     delivery("content.status_changed", about: bite)]
        #expect(windows(batch).map { $0.map(\.deliveryID) } == [[batch[0].deliveryID, batch[1].deliveryID], [batch[2].deliveryID]])
    }

    @Test func aRetriedEndpointIsProbedWithOneAndSlackGetsOneAtATime() {
        let retried = [delivery("report.filed", about: UUID(), attempts: 2)] + (0..<5).map { _ in delivery("report.filed", about: UUID()) }
        #expect(windows(retried).map(\.count) == [1, 5])
        let slack = (0..<4).map { _ in delivery("report.filed", about: UUID(), format: .slack) }
        #expect(windows(slack).map(\.count) == [1, 1, 1, 1])
    }
}
