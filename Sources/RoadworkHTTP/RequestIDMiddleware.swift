import HTTPTypes
import Hummingbird

/// Echoes the request id (Hummingbird's, or a sane `X-Request-Id` from a proxy) on every response and log line.
struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    static var header: HTTPField.Name { HTTPField.Name("X-Request-Id")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let incoming = request.headers[Self.header], Self.isSane(incoming) {
            context.logger[metadataKey: "hb.request.id"] = .string(incoming)
        }
        let id = context.id
        var response = try await next(request, context)
        response.headers[Self.header] = id
        return response
    }

    private static func isSane(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 64 && id.utf8.allSatisfy { $0 == 45 || $0 == 95 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
    }
}
