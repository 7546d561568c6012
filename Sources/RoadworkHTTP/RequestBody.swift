import Foundation
import Hummingbird
import RoadworkDomain

/// A request body some of whose top-level fields may be null (openapi.yaml's `type: [..., "null"]`).
protocol NullableFields {
    static var nullable: Set<String> { get }
}

extension Request {
    /// Decodes a JSON body: malformed JSON → 400; a field of the wrong type or a missing one → 422 naming it.
    func decodeJSON<T: Decodable>(_ type: T.Type, context: AppRequestContext) async throws -> T {
        try Self.decodeJSON(type, from: try await collectBody(context: context))
    }

    /// The whole body, up to the context's limit; a larger one is a 413.
    func collectBody(context: AppRequestContext) async throws -> ByteBuffer {
        do {
            return try await body.collect(upTo: context.maxUploadSize)
        } catch {
            throw Problem(status: .contentTooLarge, detail: "The request body is larger than \(context.maxUploadSize) bytes.")
        }
    }

    /// Decodes a body already read: malformed JSON → 400; a field of the wrong type or a missing one → 422 naming it, and
    /// so is a null where openapi.yaml allows none (a body's `NullableFields` names the fields that may be null).
    static func decodeJSON<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        let data = Data(buffer: buffer)
        do {
            let value = try JSONCoding.decoder.decode(T.self, from: data)
            try refuseNulls(in: data, of: value)
            return value
        } catch let error as DecodingError {
            // Only a failure is parsed a second time, to tell malformed JSON (400) from a wrong or missing field (422).
            guard (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil else {
                throw Problem(status: .badRequest, detail: data.isEmpty ? "The request needs a JSON body." : "The body is not valid JSON.")
            }
            throw Problem.invalid([Self.fieldError(error)])
        }
    }

    /// Optional fields decode null and absent alike; the contract says which may be null, so a null in any other field
    /// the body has is refused here (unknown fields are ignored, null or not). Only bodies holding the bytes `null` are
    /// parsed again.
    private static func refuseNulls<T>(in data: Data, of value: T) throws {
        guard data.range(of: Data("null".utf8)) != nil,
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return }
        let nullable = (T.self as? any NullableFields.Type)?.nullable ?? []
        let fields = Set(Mirror(reflecting: value).children.compactMap { $0.label.map(JSONWriter.snakeCase) })
        let refused = object.filter { $0.value is NSNull && fields.contains($0.key) && !nullable.contains($0.key) }.keys.sorted()
        if !refused.isEmpty { throw Problem.invalid(refused.map { FieldError(field: $0, message: "must not be null") }) }
    }

    private static func fieldError(_ error: DecodingError) -> FieldError {
        switch error {
        case .keyNotFound(let key, let context):
            return FieldError(field: path(context.codingPath + [key]), message: "is required")
        case .typeMismatch(let type, let context):
            return FieldError(field: path(context.codingPath), message: "must be \(describe(type))")
        case .valueNotFound(let type, let context):
            return FieldError(field: path(context.codingPath), message: "must be \(describe(type)), not null")
        case .dataCorrupted(let context):
            return FieldError(field: path(context.codingPath), message: context.debugDescription)
        @unknown default:
            return FieldError(field: "body", message: "is not valid")
        }
    }

    /// The snake_case path of a field as the client wrote it.
    private static func path(_ keys: [any CodingKey]) -> String {
        let path = keys.map { key in key.intValue.map(String.init) ?? JSONWriter.snakeCase(key.stringValue) }.joined(separator: ".")
        return path.isEmpty ? "body" : path
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Double.Type, is Decimal.Type: return "a number"
        case is UUID.Type: return "a UUID string"
        default: return "of type \(type)"
        }
    }

    /// A version no object has: what an `If-Match` that is not one of our ETags stands for.
    static let noVersion = -1

    /// The version in an `If-Match` header (`"3"`), nil when absent, empty or `*`; anything else is `noVersion`.
    func ifMatchVersion() -> Int? {
        guard let value = headers[.ifMatch]?.trimmingCharacters(in: .whitespaces), value != "*", !value.isEmpty else { return nil }
        var tag = Substring(value)
        if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
        // A value that is not one of our ETags matches no version, like a stale one (RFC 9110 §13.1.1): the change is
        // checked first (a bad body is still 422) and then answers 412.
        guard tag.count >= 3, tag.hasPrefix("\""), tag.hasSuffix("\""), let version = tag.dropFirst().dropLast().wholeNumber(maxDigits: 18) else {
            return Self.noVersion
        }
        return Int(version)
    }

    /// A free-text query parameter as browsers and HTTP libraries encode it (form encoding: "+" is a space, "%2B" a plus);
    /// the router's own decoding keeps "+" as it is, so "?text=+" would read as text rather than blank.
    func queryText(_ name: String) -> String? {
        guard let query = uri.query else { return nil }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.first == Substring(name) else { continue }
            let raw = parts.count > 1 ? String(parts[1]) : ""
            return raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? raw
        }
        return nil
    }

    /// A UUID path parameter; a malformed one is a 404 like any unknown id.
    func uuidParameter(_ name: String, context: AppRequestContext, what: String) throws -> UUID {
        guard let id = context.parameters.get(name, as: UUID.self) else { throw Problem.notFound(what) }
        return id
    }
}

extension Response {
    /// A JSON response with the object's ETag.
    static let jsonType = "application/json; charset=utf-8"

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, version: Int? = nil, headers extra: HTTPFields = [:]) throws -> Response {
        var headers = extra
        headers[.contentType] = jsonType
        if let version { headers[.eTag] = "\"\(version)\"" }
        let data = try JSONWriter.encode(value)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
