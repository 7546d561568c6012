import Hummingbird
import RoadworkDomain

/// A query parameter without a name (`?=x`) is none any operation takes: the API refuses it with 422 rather than ignore
/// it (a named parameter an operation does not know is ignored, as unknown body fields are).
struct NamelessQueryMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path.hasPrefix("/api/"), request.uri.queryParameters.contains(where: { $0.key.isEmpty }) {
            throw Problem(status: .unprocessableContent, detail: "A query parameter has no name.",
                          errors: [FieldError(field: "query", message: "has a parameter without a name")])
        }
        return try await next(request, context)
    }
}
