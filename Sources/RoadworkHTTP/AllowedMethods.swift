import Hummingbird
import Synchronization

/// Which methods each known path answers, read from the router once every route is added.
final class RouteMethods: Sendable {
    private struct Route {
        /// A literal segment, or nil where the path captures (`:id`).
        let segments: [Substring?]
        var methods: Set<HTTPRequest.Method>
    }

    private let routes = Mutex<[Route]>([])

    func load(from router: Router<AppRequestContext>) {
        var table: [String: Route] = [:]
        for route in router.routes {
            let pattern = route.path.description
            let segments = pattern.split(separator: "/").map { $0.first == ":" || $0.first == "{" || $0 == "*" ? nil : $0 }
            table[pattern, default: Route(segments: segments, methods: [])].methods.insert(route.method)
        }
        routes.withLock { $0 = Array(table.values) }
    }

    /// The methods of the route the router would pick for this path (literal segments before captures), or nil for no route.
    func allowed(path: String) -> Set<HTTPRequest.Method>? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return routes.withLock { routes in
            let matching = routes.filter { route in
                route.segments.count == parts.count && zip(route.segments, parts).allSatisfy { $0 == nil || $0 == $1 }
            }
            let mostSpecific = matching.min { a, b in
                let first = zip(a.segments, b.segments).first { ($0 == nil) != ($1 == nil) }
                return first.map { $0.0 != nil } ?? false
            }
            guard var methods = mostSpecific?.methods else { return nil }
            if methods.contains(.get) { methods.insert(.head) }
            return methods
        }
    }
}

/// A known path asked with a method it does not answer gets 405 and `Allow`, not 404 (RFC 9110 §15.5.6). Only a 404 is
/// looked into, so requests the router matches pay nothing; a 404 from a matched route (no such object) stays a 404.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch where Problem.from(error)?.status == .notFound {
            guard let allowed = routes.allowed(path: request.uri.path), !allowed.contains(request.method) else { throw error }
            var problem = Problem(status: .methodNotAllowed, detail: "\(request.method) is not allowed here.")
            problem.headers[.allow] = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            throw problem
        }
    }
}
