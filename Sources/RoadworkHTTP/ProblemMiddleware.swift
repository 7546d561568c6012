import Hummingbird
import NIOCore
import Logging

/// Turns every thrown error into a problem+json response; unexpected ones are logged and answered as a bare 500.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Browsers asking for a page (not the API) get the problem as a small HTML page.
    static func wantsHTML(_ request: Request) -> Bool {
        !request.uri.path.hasPrefix("/api/") && (request.headers[.accept]?.contains("text/html") ?? false)
    }

    static func htmlPage(_ problem: Problem) -> Response {
        func escape(_ text: String) -> String { text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;") }
        let escaped = escape(problem.detail)
        let fields = problem.errors.isEmpty ? "" : "<ul>" + problem.errors.map { "<li>\(escape($0.field)) \(escape($0.message))</li>" }.joined() + "</ul>"
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(problem.status.code) · Roadwork</title><link rel="stylesheet" href="\(StaticAssets.css.path)"></head>
            <body><main><div class="card"><h1>\(problem.status.reasonPhrase)</h1><p role="alert">\(escaped)</p>\(fields)<p><a href="/">Back to Roadwork</a></p></div></main></body></html>
            """
        return Response(status: problem.status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let redirect as Redirect {
            return try redirect.response(from: request, context: context)
        } catch {
            let problem = Problem.from(error) ?? {
                context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
                return Problem(status: .internalServerError, detail: "Something went wrong on our side; it has been logged.")
            }()
            if problem.status == .serviceUnavailable {
                context.logger.warning("database unavailable", metadata: ["error": "\(error)"])
            }
            if Self.wantsHTML(request) { return Self.htmlPage(problem) }
            return try problem.response(from: request, context: context)
        }
    }
}
