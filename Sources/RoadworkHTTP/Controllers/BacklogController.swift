import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// The backlog, pull next, emerging walls and trends.
struct BacklogController {
    let database: Database
    let actions: Actions

    struct Entry: JSONWritable {
        let objection: Objection
        let score: Double
        let rank: Int
        let breakdown: ScoreBreakdown
        let obstacle: FocusItem?
        let activeContent: ContentItem?

        func writeJSON(to json: inout JSONOutput) throws {
            try json.object { json in
                try json.field("objection", objection)
                try json.field("score", score)
                try json.field("rank", rank)
                try json.field("breakdown", breakdown)
                try json.field("obstacle", obstacle)
                try json.field("active_content", activeContent)
            }
        }
    }

    struct NextBody: Decodable {
        let format: String?
        let title: String?
    }

    struct Pulled: Encodable {
        let content: ContentItem
        let objection: Objection
    }

    struct Wall: Encodable {
        let objection: Objection
        let accountsRecent: Int
        let accountsBefore: Int
    }

    struct Series: Encodable {
        let kind: String
        let id: UUID
        let title: String
        let counts: [Int]
    }

    struct Trends: Encodable {
        let weeks: [Day]
        let series: [Series]
    }

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("backlog", use: backlog)
        api.post("backlog/next", use: next)
        api.get("walls/emerging", use: emerging)
        api.get("trends", use: trends)
    }

    @Sendable func backlog(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        if request.wantsCSV { return try await CSVExport(database: database).response(.backlog, request: request, identity: identity) }
        let limit = try Page(request).limit
        let entries = try await database.tenant(identity, mayLag: true) { store in try store.backlog(limit: limit) }
        let body = try JSONWriter.encode(["items": entries.map {
            Entry(objection: $0.objection, score: $0.breakdown.score, rank: $0.rank, breakdown: $0.breakdown, obstacle: $0.obstacle,
                  activeContent: $0.activeContent)
        }])
        return Revalidation.response(body, contentType: Response.jsonType, request: request)
    }

    @Sendable func next(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: Roles.planners)
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        var body = NextBody(format: nil, title: nil)
        if buffer.readableBytes > 0 {
            var replayable = request
            replayable.body = .init(buffer: buffer)
            body = try await replayable.decodeJSON(NextBody.self, context: context)
        }
        let pulled = try await actions.pullNext(by: identity, format: body.format, title: body.title)
        guard let (content, objection) = pulled else { return Response(status: .noContent) }
        return try Response.json(Pulled(content: content, objection: objection), status: .created, version: content.version,
                                 headers: [.location: "/api/v1/content/\(content.id.lowercasedText)"])
    }

    @Sendable func emerging(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        let limit = try Page(request).limit
        let walls = try await database.tenant(identity, mayLag: true) { try $0.emergingWalls(today: Day.today(), limit: limit) }
        return try Response.json(["items": walls.map { Wall(objection: $0.objection, accountsRecent: $0.accountsRecent, accountsBefore: $0.accountsBefore) }])
    }

    @Sendable func trends(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        var weeks = 12
        if let text = request.uri.queryParameters["weeks"] {
            guard let value = Int(text), (1...52).contains(value) else {
                throw Problem.invalid([.init(field: "weeks", message: "must be a whole number from 1 to 52")])
            }
            weeks = value
        }
        let today = Day.today()
        let series = try await database.tenant(identity, mayLag: true) { [weeks] store in
            let top = try store.backlog(limit: 5).map(\.objection.id)
            return try store.trends(weeks: weeks, today: today, topObjections: top)
        }
        let starts = (0..<weeks).map { today.adding(days: -7 * weeks + 1 + 7 * $0) }
        return try Response.json(Trends(weeks: starts, series: series.map { Series(kind: $0.kind, id: $0.id, title: $0.title, counts: $0.counts) }))
    }
}
