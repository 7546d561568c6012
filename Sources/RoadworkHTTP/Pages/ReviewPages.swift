import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore
import ServiceLifecycle

/// The heads' joint review: edit the draft lineup, sign, see history.
struct ReviewPages {
    let web: Web
    let changes: ReviewChanges

    /// The other head's edit, sign-off or the lineup applying, as it happens: Server-Sent Events the page's script
    /// follows (it then fetches the page again and shows the new lineup without a reload).
    private func events(_ identity: Identity) -> Response {
        let (signals, end) = changes.subscribe(orgID: identity.orgID)
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: ResponseBody { writer in
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            // A server shutting down waits for open responses: the stream ends then, and the page reconnects to another.
            try await withGracefulShutdownHandler {
                for await signal in signals {
                    try await writer.write(ByteBuffer(string: signal == .changed ? "event: review\ndata: changed\n\n" : ": still here\n\n"))
                }
            } onGracefulShutdown: { end() }
            try await writer.finish(nil)
        })
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("review") { request, _ in
            let identity = try await web.identity(request, as: Roles.heads)
            // What aggregates every report since the last review is kept a minute, per last review (a newly closed one starts afresh).
            let lastReview = try await web.database.tenant(identity, mayLag: false) { try $0.lastClosedReviewID() } ?? identity.orgID
            let slow = try await web.agendaLines.value(for: lastReview) {
                try await web.database.tenant(identity, mayLag: false) { try $0.agendaSlowLines(today: Day.today()) }
            }
            let values = try await web.read(identity) { store -> [String: Any] in
                let reviews = try store.reviews(after: nil, limit: 20)
                let items = try store.focusItems(kind: nil, status: nil, after: nil, limit: 500)
                let titles = Dictionary(items.map { ($0.id, $0.title) }, uniquingKeysWith: { a, _ in a })
                let names = Dictionary(try store.users(after: nil, limit: 500).map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
                var values: [String: Any] = [
                    "history": reviews.filter { $0.status == .closed }.map { review -> [String: Any] in
                        ["id": review.id.lowercasedText, "day": Day(review.closedAt ?? review.openedAt).description, "status": review.status.rawValue,
                         "version": review.lineup.version,
                         "obstacles": review.lineup.obstacles.compactMap { titles[$0] }.enumerated().map { "\($0 + 1). \($1)" }.joined(separator: "  "),
                         "opportunities": review.lineup.opportunities.compactMap { titles[$0] }.enumerated().map { "\($0 + 1). \($1)" }.joined(separator: "  ")]
                    },
                ]
                if let open = try store.openReviewIfAny() {
                    let version = open.lineup.version
                    let lists = [(FocusKind.opportunity, "Top 5 Opportunities", open.lineup.opportunities), (.obstacle, "Top 5 Obstacles", open.lineup.obstacles)]
                        .map { kind, heading, ids -> [String: Any] in
                            ["kind": kind.rawValue, "heading": heading,
                             "entries": ids.enumerated().map { ["id": $1.lowercasedText, "title": titles[$1] ?? "?", "rank": $0 + 1, "kind": kind.rawValue] },
                             "candidates": ids.count >= 5 ? [] : items.filter { $0.kind == kind && $0.status != .retired && !ids.contains($0.id) }
                                .map { ["id": $0.id.lowercasedText, "title": $0.title] }]
                        }
                    let covered = Set(open.lineup.obstacles)
                    // One read of the backlog's top for the lineup's suggestions and the agenda's uncovered walls.
                    let backlogTop = try store.backlog(limit: 10)
                    let uncovered = backlogTop.filter { $0.objection.obstacleID.map { !covered.contains($0) } ?? true }
                    let signedByMe = open.signoffs.contains { $0.userID == identity.userID && $0.lineupVersion == version }
                    values["agenda"] = try Self.agenda(store.reviewAgenda(today: Day.today(), slow: slow, backlogTop: backlogTop),
                                                       notes: try store.agendaNotes(reviewID: open.id))
                    values["review"] = [
                        "version": version, "reviewVersion": open.version, "notes": open.notes, "lists": lists,
                        "uncovered": open.lineup.obstacles.count >= 5 ? [] : uncovered.map { ["id": $0.objection.id.lowercasedText, "statement": $0.objection.statement] },
                        "signoffs": open.signoffs.map { ["name": names[$0.userID] ?? "?", "role": spaced($0.role.rawValue),
                                                         "version": $0.lineupVersion, "stale": $0.lineupVersion != version] as [String: Any] },
                        "canSign": !signedByMe, "signedByMe": signedByMe,
                        "myRole": spaced(identity.role.rawValue),
                    ] as [String: Any]
                }
                return values
            }
            return web.page(.review, title: "Joint review", identity: identity, request: request, values: values)
        }
        router.get("reviews/:id") { request, context in
            let identity = try await web.identity(request)
            let id = try request.uuidParameter("id", context: context, what: "review")
            guard let values = try await web.readIfFound(identity, { try Self.record(id: id, store: $0) }) else { throw Problem.notFound("review") }
            return web.page(.review_record, title: "Joint review record", identity: identity, request: request, values: values)
        }
        router.post("review/agenda-note") { request, context in
            let identity = try await web.identity(request, as: Roles.heads)
            let form = try await web.form(request, context: context)
            do {
                try await web.actions.addAgendaNote(by: identity, line: form["line"], body: form["body"])
                return Web.redirect("/review#agenda", done: "Note added.")
            } catch let error as ValidationError {
                throw PageRefusal(back: "/review", message: "Note not added: \(error.description).")
            }
        }
        router.get("review/events") { request, _ in events(try await web.identity(request, as: Roles.heads)) }
        router.post("review/open") { request, context in
            let identity = try await web.identity(request, as: Roles.heads)
            _ = try await web.form(request, context: context)
            do { _ = try await web.actions.openReview(by: identity) } catch DomainError.conflict {}
            return Web.redirect("/review", done: "Review open: the draft is today's Top 5.")
        }
        router.post("review/move") { request, context in
            try await edit(request, context) { form in
                let by = try form.required("by", form.int)
                return { lineup, id in
                    guard let index = lineup.firstIndex(of: id), lineup.indices.contains(index + by) else { return }
                    lineup.swapAt(index, index + by)
                }
            }
        }
        router.post("review/remove") { request, context in
            try await edit(request, context) { _ in { lineup, id in lineup.removeAll { $0 == id } } }
        }
        router.post("review/add") { request, context in
            try await edit(request, context) { _ in { lineup, id in if !lineup.contains(id) { lineup.append(id) } } }
        }
        router.post("review/add-wall") { request, context in
            let identity = try await web.identity(request, as: Roles.heads)
            let form = try await web.form(request, context: context)
            let objectionID = try form.required("objection_id", form.uuid)
            do {
                _ = try await web.actions.addWallToOpenReview(by: identity, objectionID: objectionID)
                return Web.redirect("/review", done: "Added as an obstacle.")
            } catch let error as ValidationError {
                throw PageRefusal(back: "/review", message: "Not added: \(error.description).")
            }
        }
        router.post("review/notes") { request, context in
            let identity = try await web.identity(request, as: Roles.heads)
            let form = try await web.form(request, context: context)
            do {
                _ = try await web.actions.saveReviewNotes(by: identity, form["notes"] ?? "", expectedVersion: try form.int("version"))
                return Web.redirect("/review", done: "Notes saved.")
            } catch let error as ValidationError {
                throw PageRefusal(back: "/review", message: "Notes not saved: \(error.description).")
            } catch DomainError.staleVersion {
                throw Self.stale
            }
        }
        router.post("review/sign") { request, context in
            let identity = try await web.identity(request, as: Roles.heads)
            let form = try await web.form(request, context: context)
            let version = try form.required("lineup_version", form.int)
            do {
                let closed = try await web.actions.signOff(by: identity, reviewID: nil, lineupVersion: version).status == .closed
                return Web.redirect(closed ? "/" : "/review", done: closed ? "Both heads signed: the new Top 5 is in place." : "Signed. Waiting for the other head.")
            } catch DomainError.conflict(let message) {
                throw PageRefusal(back: "/review", message: "Not signed: \(message).", status: .conflict)
            }
        }
    }

    /// The agenda's sections for the page: each line with its one-click lineup change and the heads' notes on it.
    static func agenda(_ agenda: ReviewAgenda, notes: [AgendaNote]) -> [String: Any] {
        let byLine = Dictionary(grouping: notes, by: \.line)
        func lines(_ lines: [ReviewAgenda.Line], action: (ReviewAgenda.Line) -> [String: Any]?) -> [[String: Any]] {
            lines.map { line in
                present(["key": line.key, "text": line.text, "detail": line.detail, "objectionID": line.objectionID?.lowercasedText,
                         "action": action(line),
                         "notes": (byLine[line.key] ?? []).map { ["author": $0.authorName, "body": $0.body, "at": Web.day($0.at)] }])
            }
        }
        let addWall = { (line: ReviewAgenda.Line) -> [String: Any]? in
            line.objectionID.map { ["path": "/review/add-wall", "field": "objection_id", "value": $0.lowercasedText, "label": "Add as a Top 5 obstacle"] }
        }
        func remove(_ kind: FocusKind) -> (ReviewAgenda.Line) -> [String: Any]? {
            { line in line.focusItemID.map { ["path": "/review/remove", "field": "id", "value": $0.lowercasedText, "kind": kind.rawValue,
                                              "label": "Take it out of the draft"] } }
        }
        let sections: [(String, [[String: Any]])] = [
            ("Walls that moved most", lines(agenda.movers, action: addWall)),
            ("New and emerging walls", lines(agenda.newWalls, action: addWall)),
            ("Backlog walls no Top 5 obstacle covers", lines(agenda.uncovered, action: addWall)),
            ("Content shipped: did the wall stop?", lines(agenda.shipped) { _ in nil }),
            ("Top 5 obstacles with no progress", lines(agenda.stalled, action: remove(.obstacle))),
            ("The opportunities", lines(agenda.opportunities, action: remove(.opportunity))),
        ]
        return ["since": Web.day(agenda.since), "sections": sections.map { ["heading": $0.0, "lines": $0.1, "empty": $0.1.isEmpty] as [String: Any] }]
    }

    /// The record of a review, to read and to print: signatures with their time, the lineup and how it changed, notes,
    /// whether the walls under its obstacles stopped after their bites shipped (at most ten charts), the backlog then.
    static func record(id: UUID, store: Store) throws -> [String: Any]? {
        guard let summary = try ReviewSummary.load(id: id, from: store) else { return nil }
        let review = summary.review
        let time = Date.ISO8601FormatStyle(timeZone: .gmt)
        let lists = [("Top 5 Opportunities", review.lineup.opportunities, summary.snapshot?.opportunities),
                     ("Top 5 Obstacles", review.lineup.obstacles, summary.snapshot?.obstacles)].map { heading, ids, entries -> [String: Any] in
            let rows: [[String: Any]] = entries?.map { ["rank": $0.rank, "title": $0.title, "change": ReviewSummary.change($0)] }
                ?? ids.enumerated().map { ["rank": $0 + 1, "title": summary.titles[$1] ?? "?", "change": "draft"] }
            return ["heading": heading, "entries": rows]
        }
        var walls: [[String: Any]] = []
        for obstacle in review.lineup.obstacles where walls.count < 10 {
            for objectionID in try store.objectionIDs(obstacleID: obstacle) where walls.count < 10 {
                guard let latest = try store.wallImpact(objectionID: objectionID, today: Day.today())?.publications.last,
                      let objection = try store.objection(id: objectionID) else { continue }
                walls.append(["obstacle": summary.titles[obstacle] ?? "?", "statement": objection.statement, "bite": latest.title,
                              "day": latest.publishedOn.description, "verdict": latest.verdict.label, "summary": ImpactChart.describe(latest),
                              "svg": ImpactChart.svg(latest)])
            }
        }
        let backlog = summary.snapshot?.backlog.map { ($0.statement, $0.score, $0.accounts) }
            ?? summary.openBacklog.map { ($0.objection.statement, $0.breakdown.score, $0.breakdown.accounts) }
        return present([
            "id": review.id.lowercasedText, "opened": Day(review.openedAt).description, "closed": review.closedAt.map { Day($0).description },
            "status": review.status.rawValue, "version": review.lineup.version, "notes": review.notes, "lists": lists, "walls": walls,
            "dropped": summary.snapshot?.dropped.joined(separator: "; "),
            "signoffs": review.signoffs.map { signoff -> [String: Any] in
                present(["name": summary.names[signoff.userID] ?? "?", "role": spaced(signoff.role.rawValue),
                         "version": signoff.lineupVersion, "at": signoff.at.formatted(time), "stale": signoff.lineupVersion != review.lineup.version ? true : nil])
            },
            "backlog": backlog.map { ["statement": $0.0, "score": $0.1.fixed(2), "accounts": $0.2] as [String: Any] },
        ])
    }

    /// An edit of a lineup the other head changed since the page was shown: nothing changes, the current one is shown.
    static let stale = PageRefusal(back: "/review", message: "The other head changed the review meanwhile, so your change was not made. This is the review as it is now.",
                                   status: .preconditionFailed)

    /// Applies an edit about one item (`id`) to one list (`kind`) of the open review's draft lineup.
    /// `parse` reads the rest of the form and returns the edit.
    private func edit(_ request: Request, _ context: AppRequestContext,
                      _ parse: (Form) throws -> @Sendable (inout [UUID], UUID) -> Void) async throws -> Response {
        let identity = try await web.identity(request, as: Roles.heads)
        let form = try await web.form(request, context: context)
        let kind = try form.required("kind") { try form.choice($0, FocusKind.self) }
        let id = try form.required("id", form.uuid)
        let change = try parse(form)
        do {
            _ = try await web.actions.editOpenLineup(by: identity, kind: kind, expectedVersion: try form.int("version")) { change(&$0, id) }
        } catch let error as ValidationError {
            throw PageRefusal(back: "/review", message: "Not changed: \(error.description).")
        } catch DomainError.staleVersion {
            throw Self.stale
        }
        return Web.redirect("/review")
    }
}
