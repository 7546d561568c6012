import Foundation
import Hummingbird
import RoadworkDomain

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

    /// Decodes a body already read: malformed JSON → 400; a field of the wrong type or a missing one → 422 naming it.
    static func decodeJSON<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        let data = Data(buffer: buffer)
        do {
            return try JSONCoding.decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            // Only a failure is parsed a second time, to tell malformed JSON (400) from a wrong or missing field (422).
            guard (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil else {
                throw Problem(status: .badRequest, detail: data.isEmpty ? "The request needs a JSON body." : "The body is not valid JSON.")
            }
            throw Problem.invalid([Self.fieldError(error)])
        }
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

    /// The version in an `If-Match` header (`"3"`), nil when absent or `*`; anything else is a 400.
    func ifMatchVersion() throws -> Int? {
        guard let value = headers[.ifMatch]?.trimmingCharacters(in: .whitespaces), value != "*" else { return nil }
        var tag = Substring(value)
        if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
        if tag.hasPrefix("\""), tag.hasSuffix("\""), tag.count >= 2 { tag = tag.dropFirst().dropLast() }
        guard let version = Int(tag) else {
            throw Problem(status: .badRequest, detail: "If-Match must be an ETag such as \"3\".")
        }
        return version
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
