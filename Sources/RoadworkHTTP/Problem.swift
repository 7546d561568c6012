import Foundation
import Hummingbird
import NIOCore
import RoadworkDomain

/// An RFC 9457 problem: every error the API answers with.
public struct Problem: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let detail: String
    public let errors: [FieldError]
    public var headers: HTTPFields = [:]

    public init(status: HTTPResponse.Status, detail: String, errors: [FieldError] = []) {
        self.status = status
        self.detail = detail
        self.errors = errors
    }

    static func unauthorized() -> Problem {
        Problem(status: .unauthorized, detail: "Sign in first: send a bearer token or the session cookie.")
    }

    static func notFound(_ what: String) -> Problem {
        Problem(status: .notFound, detail: "No such \(what).")
    }

    static func invalid(_ errors: [FieldError]) -> Problem {
        let fields = errors.map(\.field).joined(separator: ", ")
        return Problem(status: .unprocessableContent, detail: "Some fields are not valid: \(fields).", errors: errors)
    }

    private struct Body: Encodable {
        let type: String
        let title: String
        let status: Int
        let detail: String
        let errors: [FieldError]
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(
            type: "https://roadwork.example/problems/\(status.code)",
            title: status.reasonPhrase,
            status: status.code,
            detail: detail,
            errors: errors
        )
        let data = try JSONWriter.encode(body)
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension Problem {
    /// The problem an error stands for; anything unexpected is a 500 that says nothing about internals.
    static func from(_ error: any Error) -> Problem? {
        switch error {
        case let problem as Problem:
            return problem
        case let error as ValidationError:
            return .invalid(error.errors)
        case let error as MissingReference:
            return Problem(status: .notFound, detail: "No such \(error.what) in this organization (\(error.field)).",
                           errors: [FieldError(field: error.field, message: "names no \(error.what) in this organization")])
        case let error as DomainError:
            switch error {
            case .notFound(let what): return .notFound(what)
            case .conflict(let message): return Problem(status: .conflict, detail: message)
            case .staleVersion(let current):
                return Problem(status: .preconditionFailed, detail: "This object has changed (now at version \(current)); reload and try again.")
            case .forbidden(let message): return Problem(status: .forbidden, detail: message)
            }
        case let error as PostgresErrorMapping:
            return error.problem
        case let error as HTTPError:
            return Problem(status: error.status, detail: error.body ?? error.status.reasonPhrase)
        case let error as any HTTPResponseError:
            return Problem(status: error.status, detail: error.status.reasonPhrase)
        default:
            return nil
        }
    }
}
