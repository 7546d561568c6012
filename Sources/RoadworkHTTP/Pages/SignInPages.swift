import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// Sign in and out from a browser.
struct SignInPages {
    let web: Web

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("signin") { request, _ in
            // After choosing a password from a mailed link (a fixed message: the URL cannot put words on the page).
            let saved = request.uri.queryParameters["password"] == "saved"
            return web.page(.signin, title: "Sign in", identity: nil, request: request,
                            values: saved ? ["notice": "Your password is saved. Sign in with it."] : [:])
        }
        router.post("signin") { request, context in
            // Checked like every form: another site cannot sign this browser in to an account of its choosing.
            let form = try await web.form(request, context: context)
            let email = form["email"] ?? ""
            let failure = { (message: String, status: HTTPResponse.Status) in
                web.page(.signin, title: "Sign in", identity: nil, request: request, values: ["email": email, "error": message], status: status)
            }
            let result: SignInResult
            do {
                result = try await web.actions.signIn(email: email, password: form["password"], address: context.clientAddress,
                                                      userAgent: request.headers[.userAgent], throttle: web.config.signInThrottle)
            } catch is ValidationError {
                return failure("Enter your email and password.", .unprocessableContent)
            }
            switch result {
            case .signedIn(let token, _):
                var response = Web.redirect("/")
                response.setCookie(SessionController(database: web.database, actions: web.actions, config: web.config).sessionCookie(token, maxAge: Database.sessionLifetimeSeconds))
                response.setCookie(web.csrfCookie(SessionCSRF.generate()))
                return response
            case .invalidCredentials:
                return failure("That email and password do not match an account.", .unauthorized)
            case .throttled(let seconds):
                return failure("Too many failed attempts for this email. Try again in \((seconds + 59) / 60) minutes.", .tooManyRequests)
            }
        }
        router.post("signout") { request, context in
            let identity = try await web.identity(request)
            _ = try await web.form(request, context: context)
            try await web.actions.signOut(by: identity)
            return Web.signedOut()
        }
    }
}

/// Random CSRF tokens for the double-submit cookie.
enum SessionCSRF {
    static func generate() -> String {
        SecureRandom.bytes(24).lowercaseHex
    }
}
