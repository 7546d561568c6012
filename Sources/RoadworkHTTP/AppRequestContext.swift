import Foundation
import Hummingbird
import RoadworkDomain

/// Per-request state: Hummingbird's core plus the signed-in person.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AuthenticationMiddleware` on routes that need a signed-in user.
    public var identity: Identity?
    /// Set by `SessionTokenMiddleware` on routes that look their session up in their own transaction.
    public var sessionToken: String?

    /// The client's IP address as the socket shows it (behind a proxy, the proxy's); nil in router tests.
    public let clientAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Request bodies are small JSON documents or forms.
    public var maxUploadSize: Int { 256 * 1024 }

    public var responseEncoder: StreamingResponseEncoder { StreamingResponseEncoder() }

    /// The signed-in person; routes behind `AuthenticationMiddleware` always have one.
    public func signedIn() throws -> Identity {
        guard let identity else { throw Problem.unauthorized() }
        return identity
    }

    /// The session token of a route behind `SessionTokenMiddleware`.
    public func token() throws -> String {
        guard let sessionToken else { throw Problem.unauthorized() }
        return sessionToken
    }

    /// The signed-in person, if their role is one of `roles`; otherwise 403.
    public func signedIn(as roles: Set<Role>) throws -> Identity {
        let identity = try signedIn()
        guard roles.contains(identity.role) else {
            throw Problem(status: .forbidden, detail: "Your role (\(identity.role.rawValue)) may not do this.")
        }
        return identity
    }
}

/// Decodes request bodies with the API's JSON conventions: snake_case fields, RFC 3339 UTC times (JSONWriter writes them).
enum JSONCoding {
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

/// Answers a route that returns an Encodable value with JSONWriter's bytes.
public struct StreamingResponseEncoder: ResponseEncoder {
    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        try Response.json(value)
    }
}
