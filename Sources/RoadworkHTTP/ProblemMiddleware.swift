import Hummingbird
import Logging

/// Turns every thrown error into a problem+json response; unexpected ones are logged and answered as a bare 500.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let problem = Problem.from(error) ?? {
                context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
                return Problem(status: .internalServerError, detail: "Something went wrong on our side; it has been logged.")
            }()
            if problem.status == .serviceUnavailable {
                context.logger.warning("database unavailable", metadata: ["error": "\(error)"])
            }
            return try problem.response(from: request, context: context)
        }
    }
}
