import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// What every page needs: who is signed in, the CSRF token, and how to answer.
struct Web {
    static let csrfCookie = "roadwork_csrf"

    let database: Database
    let actions: Actions
    let config: RoadworkConfig
    let slowChanging = SlowChangingCache<SlowFacts>()
    /// The agenda lines that aggregate every report since the last review, kept per last closed review (or organization).
    let agendaLines = SlowChangingCache<ReviewAgenda.SlowLines>()
    /// Won and lost among a wall's reported deals, as its page shows them, kept per objection.
    let dealTallies = SlowChangingCache<DealTally>()
    /// Did each wall stop: its chart's weekly figures, kept per wall and newest publication.
    let wallImpacts = SlowChangingCache<WallImpact?>()

    /// The signed-in person from the session cookie, or a redirect to the sign-in page.
    func identity(_ request: Request) async throws -> Identity {
        // Pages are for people signed in with a password: an API token put in the cookie is refused, so a read-only
        // token cannot write through a page's form.
        guard let token = request.cookies[AuthenticationMiddleware.cookieName]?.value, !token.isEmpty,
              let identity = try await database.authenticate(token: token), identity.sessionID != nil else {
            throw Redirect(to: "/signin")
        }
        return identity
    }

    /// The signed-in person if their role is allowed; anyone else gets a 403 page.
    func identity(_ request: Request, as roles: Set<Role>) async throws -> Identity {
        let identity = try await identity(request)
        guard roles.contains(identity.role) else { throw Problem(status: .forbidden, detail: "Your role (\(identity.role.rawValue)) may not do this.") }
        return identity
    }

    /// The double-submit CSRF token of this browser (set at sign-in).
    static func csrf(_ request: Request) -> String { request.cookies[csrfCookie]?.value ?? "" }

    /// Whether a script's request carries the browser's CSRF token in the `X-CSRF-Token` header (a cross-site page
    /// cannot read the cookie to copy it).
    static func hasCSRFHeader(_ request: Request) -> Bool {
        let expected = csrf(request)
        return !expected.isEmpty && request.headers[HTTPField.Name("X-CSRF-Token")!] == expected
    }

    /// Reads a form post, refusing it unless its `_csrf` field matches the browser's CSRF cookie.
    func form(_ request: Request, context: AppRequestContext) async throws -> Form {
        let form = try await Form(request, context: context)
        let expected = Self.csrf(request)
        guard !expected.isEmpty, form["_csrf"] == expected else {
            throw Problem(status: .forbidden, detail: "This form expired; reload the page and try again.")
        }
        return form
    }

    /// A validation error's messages by field, as sentences to show next to each field.
    static func fieldMessages(_ error: ValidationError) -> [String: String] {
        Dictionary(error.errors.map { ($0.field, "This \($0.message).") }, uniquingKeysWith: { a, _ in a })
    }

    /// A moment as the day and time it was, in UTC ("2026-11-26 17:05 UTC").
    static func day(_ date: Date) -> String {
        let format = Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false)
            .timeSeparator(.colon)
        return String(date.formatted(format).prefix(16)).replacingOccurrences(of: "T", with: " ") + " UTC"
    }

    /// A rendered page with the layout's common values.
    /// With `revalidated`, a weak ETag of the HTML and 304 when the browser holds it already (see `Revalidation`).
    func page(_ template: PageTemplate, title: String, identity: Identity?, request: Request, values: [String: Any], status: HTTPResponse.Status = .ok,
              revalidated: Bool = false) -> Response {
        var all = values
        // A browser without a CSRF cookie yet (before signing in) gets one with this page, so its forms can be checked too.
        let knownCSRF = Self.csrf(request)
        let csrf = knownCSRF.isEmpty ? SessionCSRF.generate() : knownCSRF
        all["title"] = title
        all["csrf"] = csrf
        all["cssPath"] = StaticAssets.css.path
        all["jsPath"] = StaticAssets.js.path
        if let identity {
            all["me"] = ["name": identity.name, "canPlan": identity.role.canManagePlanning, "isHead": identity.role.isHead,
                         "isAdmin": identity.role == .admin, "csrf": csrf] as [String: Any]
            all["canPlan"] = identity.role.canManagePlanning
            all["isRep"] = identity.role == .rep
        }
        if let flash = request.uri.queryParameters["done"] { all["flash"] = String(flash) }
        if let refusal = PageRefusal.shown { all["alert"] = refusal }
        // Every PageTemplate was checked at start-up, so this renders.
        let root = TemplateObject(all)
        // Rows the page prints through a row template look up what they lack among the page's values.
        let html = PageValues.$current.withValue(PageValues(root)) { Templates.render(template, root) }
        #if DEBUG
        PageRenderingCheck.compare(template, String(decoding: html, as: UTF8.self)) {
            PageValues.$current.withValue(PageValues(root)) { Templates.library.render(root, withTemplate: template.rawValue) ?? "" }
        }
        #endif
        var response = revalidated && status == .ok
            ? Revalidation.response(html, contentType: "text/html; charset=utf-8", request: request)
            : Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: html)))
        if knownCSRF.isEmpty { response.setCookie(csrfCookie(csrf)) }
        return response
    }

    /// The browser's double-submit CSRF cookie (readable by the page's script, which sends it as a header).
    func csrfCookie(_ value: String) -> Cookie {
        Cookie(name: Self.csrfCookie, value: value, maxAge: Database.sessionLifetimeSeconds, path: "/", secure: config.cookieSecure, httpOnly: false,
               sameSite: .lax)
    }

    /// After signing out: the sign-in page, with the session cookie cleared.
    static func signedOut() -> Response {
        var response = redirect("/signin")
        response.setCookie(Cookie(name: AuthenticationMiddleware.cookieName, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .lax))
        return response
    }

    /// After a successful post: back to a page, with a short confirmation.
    static func redirect(_ path: String, done: String? = nil) -> Response {
        let parts = path.split(separator: "#", maxSplits: 1).map(String.init)
        var location = parts[0]
        if let done {
            var allowed = CharacterSet.urlQueryAllowed
            allowed.remove(charactersIn: "&=+#")
            location += (location.contains("?") ? "&" : "?") + "done=" + (done.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
        }
        if parts.count == 2 { location += "#" + parts[1] }
        return Response(status: .seeOther, headers: [.location: location])
    }
}

/// Thrown to send the browser elsewhere (e.g. to sign in).
struct Redirect: Error, HTTPResponseError {
    let to: String
    var status: HTTPResponse.Status { .seeOther }
    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: .seeOther, headers: [.location: to])
    }
}

/// Security headers on every response: a strict CSP (no inline script), no sniffing, no framing.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        return response
    }
}

/// Template values built inside a transaction: plain strings, numbers and arrays, never shared after.
struct TemplateValues: @unchecked Sendable {
    let values: [String: Any]?
}

extension Web {
    /// Builds a page's values in one tenant-scoped transaction; `mayLag`: on the read replica when there is one.
    func read(_ identity: Identity, mayLag: Bool = false, _ body: @escaping @Sendable (Store) throws -> [String: Any]) async throws -> [String: Any] {
        try await database.tenant(identity, mayLag: mayLag) { TemplateValues(values: try body($0)) }.values ?? [:]
    }

    /// Builds a page's values, or nil when the object is not in this organization. Read only, like `read`: its COMMIT
    /// travels with the connection's next pipeline instead of costing a round trip of its own.
    func readIfFound(_ identity: Identity, _ body: @escaping @Sendable (Store) throws -> [String: Any]?) async throws -> [String: Any]? {
        try await database.tenant(identity, mayLag: false) { TemplateValues(values: try body($0)) }.values
    }
}

/// Template values without the absent ones: Mustache treats a missing key as false, but "" or 0 as true.
func present(_ values: [String: Any?]) -> [String: Any] {
    values.compactMapValues { value in
        switch value {
        case .none: return nil
        case .some(let text as String) where text.isEmpty: return nil
        case .some(let wrapped): return wrapped
        }
    }
}
