import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// A form post that changed nothing: the page it came from is shown again with the reason at its top and a 4xx status,
/// so the browser stays where the person was (no redirect that would read as success).
struct PageRefusal: Error {
    let back: String
    let message: String
    var status: HTTPResponse.Status = .unprocessableContent

    /// The reason, while the page it is shown on renders (`Web.page` puts it at the top).
    @TaskLocal static var shown: String?
}

/// Answers a `PageRefusal` with the `back` page, asked with GET through the whole router and carrying the reason; when
/// that page cannot be shown, with the plain error page. Middleware runs after routing, so the page is routed anew by
/// the router's own responder, set once every route is added.
final class PageRefusalMiddleware: RouterMiddleware, Sendable {
    typealias Context = AppRequestContext
    private let router = Mutex<RouterResponder<AppRequestContext>?>(nil)

    func route(with responder: RouterResponder<AppRequestContext>) { router.withLock { $0 = responder } }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let refusal as PageRefusal {
            let fallback = ProblemMiddleware<Context>.htmlPage(Problem(status: refusal.status, detail: refusal.message))
            guard let responder = router.withLock({ $0 }) else { return fallback }
            var head = request.head
            head.method = .get
            head.path = refusal.back
            for field in [HTTPField.Name.ifNoneMatch, .contentType, .contentLength] { head.headerFields[field] = nil }
            var response = try await PageRefusal.$shown.withValue(refusal.message) {
                try await responder.respond(to: Request(head: head, body: .init(buffer: .init())), context: context)
            }
            guard response.status == .ok else { return fallback }
            response.status = refusal.status
            response.headers[.eTag] = nil
            return response
        }
    }
}
