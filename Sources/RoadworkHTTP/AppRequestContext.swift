import Foundation
import Synchronization
import Hummingbird
import RoadworkDomain

/// Per-request state: Hummingbird's core plus the signed-in person.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AuthenticationMiddleware` on routes that need a signed-in user.
    public var identity: Identity?

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// Request bodies are small JSON documents or forms.
    public var maxUploadSize: Int { 256 * 1024 }

    public var responseEncoder: JSONEncoder { JSONCoding.encoder }

    /// The signed-in person; routes behind `AuthenticationMiddleware` always have one.
    public func signedIn() throws -> Identity {
        guard let identity else { throw Problem.unauthorized() }
        return identity
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

/// The API's JSON conventions: snake_case fields, RFC 3339 UTC times.
enum JSONCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        // Foundation's convertToSnakeCase rebuilds every key on every encode; the names are few, so convert each once.
        encoder.keyEncodingStrategy = .custom { path in SnakeCaseKey(path.last!.stringValue) }
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// A coding key in snake_case, converted once per distinct name and then reused.
struct SnakeCaseKey: CodingKey {
    private static let cache = Mutex<[String: String]>([:])

    let stringValue: String
    var intValue: Int? { nil }

    init(_ name: String) {
        if let known = Self.cache.withLock({ $0[name] }) {
            stringValue = known
        } else {
            let converted = Request.snakeCase(name)
            Self.cache.withLock { $0[name] = converted }
            stringValue = converted
        }
    }

    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { nil }
}
