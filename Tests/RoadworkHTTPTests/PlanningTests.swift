import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RoadworkDomain
import Testing

/// Small helpers for the planning flows.
extension TestClientProtocol {
    func create(_ path: String, token: String, _ body: [String: Any]) async throws -> [String: Any] {
        try await call(.post, "/api/v1/\(path)", token: token, body: body) { response in
            #expect(response.status == .created, "POST \(path): \(String(buffer: response.body))")
            return try response.object()
        }
    }

    func get(_ path: String, token: String) async throws -> [String: Any] {
        try await call(.get, "/api/v1/\(path)", token: token) { response in
            #expect(response.status == .ok, "GET \(path): \(String(buffer: response.body))")
            return try response.object()
        }
    }

    func fileReport(token: String, account: String, objection: String? = nil, summary: String = "The buyer raised it", amount: Double? = nil) async throws -> [String: Any] {
        var body: [String: Any] = ["summary": summary, "account": account]
        if let objection { body["objection_id"] = objection }
        if let amount { body["deal_amount"] = amount }
        return try await create("reports", token: token, body)["report"] as! [String: Any]
    }
}

@Suite("The planning API follows DESIGN.md's rules")
struct PlanningTests {
    @Test func aWallReportedByTenAccountsOutranksOneReportedTenTimesByOneAccount() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let marketer = try await client.token(org.emails[.marketer]!)
            let rep = try await client.token(org.emails[.rep]!)
            let broad = try await client.create("objections", token: marketer, ["statement": "No SSO"])["id"] as! String
            let narrow = try await client.create("objections", token: marketer, ["statement": "Too expensive for Acme"])["id"] as! String
            for index in 0..<10 {
                _ = try await client.fileReport(token: rep, account: "Account \(index)", objection: broad)
                _ = try await client.fileReport(token: rep, account: "Acme", objection: narrow)
            }
            let items = try await client.get("backlog", token: rep)["items"] as! [[String: Any]]
            #expect(items.map { ($0["objection"] as! [String: Any])["id"] as! String } == [broad, narrow])
            let top = items[0]
            let breakdown = top["breakdown"] as! [String: Any]
            #expect(breakdown["accounts"] as? Int == 10)
            #expect(breakdown["reports"] as? Int == 10)
            let product = (breakdown["demand"] as! Double) * (breakdown["strategic"] as! Double) * (breakdown["coverage"] as! Double)
            #expect(abs(product - (top["score"] as! Double)) < 1e-9)
            #expect((items[1]["breakdown"] as! [String: Any])["accounts"] as? Int == 1)
        }
    }

    @Test func aRetriedReportWithTheSameIdempotencyKeyIsFiledOnce() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let rep = try await client.token(org.emails[.rep]!)
            let key = UUID().uuidString
            let body: [String: Any] = ["summary": "They asked for SOC 2", "account": "Initech", "deal_amount": 1200]
            var ids: [String] = []
            for _ in 0..<2 {
                try await client.call(.post, "/api/v1/reports", token: rep, body: body, headers: [.idempotencyKey: key]) { response in
                    #expect(response.status == .created)
                    ids.append(((try response.object()["report"]) as! [String: Any])["id"] as! String)
                }
            }
            #expect(ids[0] == ids[1])
            try await client.call(.post, "/api/v1/reports", token: rep, body: ["summary": "Something else", "account": "Initech"],
                                  headers: [.idempotencyKey: key]) { response in
                let fields = try response.problemFields(status: .unprocessableContent)
                #expect(fields == ["Idempotency-Key"])
            }
            let mine = try await client.get("reports", token: rep)["items"] as! [[String: Any]]
            #expect(mine.count == 1)
        }
    }

    @Test func badReportsNameEveryBadFieldAndFileNothing() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let rep = try await client.token(org.emails[.rep]!)
            let future = Day.today().adding(days: 2).description
            try await client.call(.post, "/api/v1/reports", token: rep,
                                  body: ["summary": "", "account": String(repeating: "a", count: 201), "deal_amount": -5,
                                         "stage": "dreaming", "occurred_on": future]) { response in
                let fields = try response.problemFields(status: .unprocessableContent)
                #expect(fields == ["summary", "account", "deal_amount", "stage", "occurred_on"])
            }
            try await client.call(.post, "/api/v1/reports", token: rep,
                                  body: ["summary": "x", "account": "y", "occurred_on": "2001-01-01"]) { response in
                let fields = try response.problemFields(status: .unprocessableContent)
                #expect(fields == ["occurred_on"])
            }
            let mine = try await client.get("reports", token: rep)["items"] as! [[String: Any]]
            #expect(mine.isEmpty)
        }
    }

    @Test func repsSeeOnlyTheirOwnReportsAndMarketersSeeAll() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let rep = try await client.token(org.emails[.rep]!)
            let marketer = try await client.token(org.emails[.marketer]!)
            let head = try await client.token(org.emails[.salesHead]!)
            let theirs = try await client.fileReport(token: head, account: "Hooli")
            _ = try await client.fileReport(token: rep, account: "Acme")
            #expect((try await client.get("reports", token: rep)["items"] as! [Any]).count == 1)
            #expect((try await client.get("reports", token: marketer)["items"] as! [Any]).count == 2)
            try await client.call(.get, "/api/v1/reports/\(theirs["id"] as! String)", token: rep) { #expect($0.status == .notFound) }
        }
    }

    @Test func filingAnswersWithSimilarObjectionsAndTriageLinksTheReport() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let rep = try await client.token(org.emails[.rep]!)
            let marketer = try await client.token(org.emails[.marketer]!)
            let sso = try await client.create("objections", token: marketer, ["statement": "No single sign-on (SSO) support"])["id"] as! String
            let filed = try await client.create("reports", token: rep, ["summary": "No single sign-on support, they said", "account": "Acme"])
            let similar = filed["similar"] as! [[String: Any]]
            #expect((similar.first?["objection"] as? [String: Any])?["id"] as? String == sso)
            let reportID = (filed["report"] as! [String: Any])["id"] as! String
            // A time-ordered id (version 7) whose first 48 bits are the filing's millisecond.
            #expect(Array(reportID)[14] == "7")
            let millisecond = UInt64(reportID.replacingOccurrences(of: "-", with: "").prefix(12), radix: 16) ?? 0
            #expect(abs(Double(millisecond) / 1000 - Date().timeIntervalSince1970) < 60)
            try await client.call(.post, "/api/v1/reports/\(reportID)/triage", token: rep, body: ["objection_id": sso]) {
                #expect($0.status == .forbidden)
            }
            try await client.call(.post, "/api/v1/reports/\(reportID)/triage", token: marketer, body: ["objection_id": sso]) {
                #expect($0.status == .ok)
            }
            let untriaged = try await client.get("reports?triaged=false", token: marketer)["items"] as! [Any]
            #expect(untriaged.isEmpty)
            let created = try await client.fileReport(token: rep, account: "Globex", summary: "Needs an on-prem install")
            try await client.call(.post, "/api/v1/reports/\(created["id"] as! String)/triage", token: marketer,
                                  body: ["new_objection": ["statement": "No on-prem option"]]) { response in
                #expect(response.status == .ok)
                let report = try response.object()
                #expect(report["objection_id"] is String)
            }
        }
    }

    @Test func reportFiltersNarrowTheListAloneAndTogetherAndPageWithACursor() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let rep = try await client.token(org.emails[.rep]!)
            let head = try await client.token(org.emails[.salesHead]!)
            let marketer = try await client.token(org.emails[.marketer]!)
            let sso = try await client.create("objections", token: marketer, ["statement": "No SSO"])["id"] as! String
            var filed: [(id: String, account: String, objection: String?, byRep: Bool)] = []
            for index in 0..<9 {
                let account = index % 3 == 0 ? "Acme" : "Globex"
                let objection = index % 2 == 0 ? sso : nil
                let report = try await client.fileReport(token: index < 6 ? rep : head, account: account, objection: objection, summary: "Wall \(index)")
                filed.append((report["id"] as! String, account, objection, index < 6))
            }
            func ids(_ query: String, _ token: String) async throws -> Set<String> {
                Set((try await client.get("reports?\(query)", token: token)["items"] as! [[String: Any]]).map { $0["id"] as! String })
            }
            func expected(_ keep: ((id: String, account: String, objection: String?, byRep: Bool)) -> Bool) -> Set<String> { Set(filed.filter(keep).map(\.id)) }
            #expect(try await ids("triaged=true", marketer) == expected { $0.objection != nil })
            #expect(try await ids("triaged=false", marketer) == expected { $0.objection == nil })
            #expect(try await ids("account=%20acme%20", marketer) == expected { $0.account == "Acme" })
            #expect(try await ids("objection_id=\(sso)", marketer) == expected { $0.objection == sso })
            #expect(try await ids("objection_id=\(sso)&account=Globex", marketer) == expected { $0.objection == sso && $0.account == "Globex" })
            #expect(try await ids("triaged=false&account=Globex", rep) == expected { $0.objection == nil && $0.account == "Globex" && $0.byRep })
            // Two at a time, newest first, until the cursor runs out: every triaged report once.
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await client.get("reports?triaged=true&limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""), token: marketer)
                seen += (page["items"] as! [[String: Any]]).map { $0["id"] as! String }
                cursor = page["next_cursor"] as? String
            } while cursor != nil
            #expect(seen == filed.filter { $0.objection != nil }.map(\.id).reversed())
        }
    }

    @Test func mergingCarriesReportsAndRefusesItselfOrAMergedTarget() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let rep = try await client.token(org.emails[.rep]!)
            let marketer = try await client.token(org.emails[.marketer]!)
            let a = try await client.create("objections", token: marketer, ["statement": "Price too high"])["id"] as! String
            let b = try await client.create("objections", token: marketer, ["statement": "Too expensive"])["id"] as! String
            _ = try await client.fileReport(token: rep, account: "Acme", objection: a)
            _ = try await client.fileReport(token: rep, account: "Globex", objection: b)
            try await client.call(.post, "/api/v1/objections/\(a)/merge", token: marketer, body: ["into": a]) { let fields = try $0.problemFields(status: .unprocessableContent); #expect(fields == ["into"]) }
            try await client.call(.post, "/api/v1/objections/\(b)/merge", token: marketer, body: ["into": a]) { response in
                #expect(response.status == .ok)
                let target = try response.object()
                #expect(target["report_count"] as? Int == 2)
            }
            let source = try await client.get("objections/\(b)", token: marketer)
            #expect(source["status"] as? String == "merged")
            try await client.call(.post, "/api/v1/objections/\(a)/merge", token: marketer, body: ["into": b]) { let fields = try $0.problemFields(status: .unprocessableContent); #expect(fields == ["into"]) }
            let backlog = try await client.get("backlog", token: rep)["items"] as! [[String: Any]]
            #expect(backlog.count == 1)
            #expect((backlog[0]["breakdown"] as! [String: Any])["accounts"] as? Int == 2)
            // A report filed against the merged objection counts for the target.
            _ = try await client.fileReport(token: rep, account: "Initech", objection: b)
            let after = try await client.get("backlog", token: rep)["items"] as! [[String: Any]]
            #expect((after[0]["breakdown"] as! [String: Any])["accounts"] as? Int == 3)
        }
    }

    @Test func contentRulesOneActiveBitePublishingNeedsAURLAndNotifiesReporters() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let rep = try await client.token(org.emails[.rep]!)
            let marketer = try await client.token(org.emails[.marketer]!)
            let objection = try await client.create("objections", token: marketer, ["statement": "No audit log"])["id"] as! String
            let yesterday = Day.today().adding(days: -1).description
            _ = try await client.create("reports", token: rep, ["summary": "Asked for an audit log", "account": "Acme",
                                                                "objection_id": objection, "occurred_on": yesterday])
            let item = try await client.create("content", token: marketer, ["objection_id": objection, "title": "Audit log FAQ", "format": "blog_post"])
            let id = item["id"] as! String
            try await client.call(.post, "/api/v1/content", token: marketer, body: ["objection_id": objection, "title": "Second", "format": "video"]) {
                _ = try $0.problemFields(status: .conflict)
            }
            try await client.call(.post, "/api/v1/content/\(id)/feedback", token: rep, body: ["helpful": true]) { #expect($0.status == .notFound) }
            try await client.call(.patch, "/api/v1/content/\(id)", token: marketer, body: ["status": "published"]) { #expect($0.status == .conflict) }
            // Publishing while blanking the URL is the request's fault whatever version it names: 422 before 412.
            try await client.call(.patch, "/api/v1/content/\(id)", token: marketer, body: ["status": "published", "url": " \t"],
                                  headers: [.ifMatch: "\"7\""]) {
                let fields = try $0.problemFields(status: .unprocessableContent)
                #expect(fields == ["url"])
            }
            try await client.call(.patch, "/api/v1/content/\(id)", token: marketer, body: ["status": "published", "url": "https://example.com/audit"]) { response in
                #expect(response.status == .ok)
                let item = try response.object()
                #expect(item["published_at"] is String)
            }
            let notifications = try await client.get("notifications", token: rep)["items"] as! [[String: Any]]
            #expect(notifications.count == 1)
            #expect((notifications.first?["message"] as? String)?.contains("Audit log FAQ") == true)
            try await client.call(.post, "/api/v1/notifications/\(notifications[0]["id"] as! String)/read", token: rep) { #expect($0.status == .noContent) }
            try await client.call(.post, "/api/v1/content/\(id)/feedback", token: rep, body: ["helpful": true, "account": "Acme"]) {
                #expect($0.status == .created)
            }
            // Publication resets what counts: a report from before the publication day no longer moves the backlog.
            let backlog = try await client.get("backlog", token: rep)["items"] as! [Any]
            #expect(backlog.isEmpty)
        }
    }

    @Test func marketersPullingAtOnceGetDifferentObjectionsThenNothing() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let rep = try await client.token(org.emails[.rep]!)
            let marketer = try await client.token(org.emails[.marketer]!)
            let head = try await client.token(org.emails[.marketingHead]!)
            for index in 0..<6 {
                let id = try await client.create("objections", token: marketer, ["statement": "Wall \(index)"])["id"] as! String
                _ = try await client.fileReport(token: rep, account: "Account \(index)", objection: id)
            }
            let pulled = try await withThrowingTaskGroup(of: String?.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        try await client.call(.post, "/api/v1/backlog/next", token: index % 2 == 0 ? marketer : head, body: [:]) { response in
                            if response.status == .noContent { return nil }
                            #expect(response.status == .created)
                            return ((try response.object()["objection"]) as! [String: Any])["id"] as? String
                        }
                    }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            let objections = pulled.compactMap { $0 }
            #expect(objections.count == 6)
            #expect(Set(objections).count == 6)
            try await client.call(.post, "/api/v1/backlog/next", token: rep, body: [:]) { #expect($0.status == .forbidden) }
        }
    }

    @Test func jointReviewNeedsBothHeadsOnTheCurrentLineup() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let sales = try await client.token(org.emails[.salesHead]!)
            let marketing = try await client.token(org.emails[.marketingHead]!)
            let marketer = try await client.token(org.emails[.marketer]!)
            let obstacles = try await (0..<3).asyncMap { try await client.create("items", token: marketer, ["kind": "obstacle", "title": "Obstacle \($0)"])["id"] as! String }
            let opportunity = try await client.create("items", token: marketer, ["kind": "opportunity", "title": "Healthcare"])["id"] as! String
            let review = try await client.create("reviews", token: sales, [:])
            let id = review["id"] as! String
            try await client.call(.post, "/api/v1/reviews", token: marketing, body: [:]) { _ = try $0.problemFields(status: .conflict) }
            try await client.call(.post, "/api/v1/reviews", token: marketer, body: [:]) { _ = try $0.problemFields(status: .forbidden) }
            try await client.call(.put, "/api/v1/reviews/\(id)/lineup", token: sales,
                                  body: ["opportunities": [obstacles[0]], "obstacles": [obstacles[1], obstacles[1]]]) {
                let fields = try $0.problemFields(status: .unprocessableContent)
                #expect(fields == ["opportunities[0]", "obstacles[1]"])
            }
            try await client.call(.put, "/api/v1/reviews/\(id)/lineup", token: sales,
                                  body: ["opportunities": [opportunity], "obstacles": [obstacles[2], obstacles[0]], "notes": "Q1 plan"]) {
                #expect($0.status == .ok)
            }
            try await client.call(.post, "/api/v1/reviews/\(id)/signoff", token: sales, body: ["lineup_version": 2]) { #expect($0.status == .ok) }
            // An edit voids the sales head's sign-off: signing the old version is stale.
            try await client.call(.put, "/api/v1/reviews/\(id)/lineup", token: marketing,
                                  body: ["opportunities": [opportunity], "obstacles": [obstacles[0], obstacles[2]]]) { #expect($0.status == .ok) }
            try await client.call(.post, "/api/v1/reviews/\(id)/signoff", token: marketing, body: ["lineup_version": 2]) {
                _ = try $0.problemFields(status: .conflict)
            }
            let half = try await client.call(.post, "/api/v1/reviews/\(id)/signoff", token: marketing, body: ["lineup_version": 3]) { try $0.object() }
            #expect(half["status"] as? String == "open")
            let both = try await client.call(.post, "/api/v1/reviews/\(id)/signoff", token: sales, body: ["lineup_version": 3]) { try $0.object() }
            #expect(both["status"] as? String == "closed")
            let focus = try await client.get("focus", token: marketer)
            #expect((focus["obstacles"] as! [[String: Any]]).map { $0["id"] as! String } == [obstacles[0], obstacles[2]])
            #expect((focus["obstacles"] as! [[String: Any]]).map { $0["rank"] as! Int } == [1, 2])
            try await client.call(.get, "/api/v1/reviews/\(id)/summary.md", token: marketer) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/markdown") == true)
                let text = String(buffer: response.body)
                #expect(text.contains("Obstacle 0"))
                #expect(text.contains("Q1 plan"))
            }
        }
    }

    @Test func theDatabaseRefusesASixthTopFiveItemOrADuplicateRank() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        let error = try await app.database.tenant(org.id) { store -> String? in
            let creator = try store.users(after: nil, limit: 1)[0].id
            do {
                for rank in [1, 2, 3, 4, 5, 5] {
                    try store.connection.query(
                        "INSERT INTO focus_items (org_id, kind, title, status, rank, created_by) VALUES ($1, 'obstacle', $2, 'top5', $3, $4)",
                        [org.id, "Item \(rank)", rank, creator])
                }
                try store.connection.execute("SET CONSTRAINTS ALL IMMEDIATE")
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(error?.contains("focus_items_rank_key") == true)
        await app.database.pool.shutdown()
    }

    @Test func anotherOrganizationsObjectsAreNotFound() async throws {
        let app = try TestApp()
        let orgA = try await app.organization()
        let orgB = try await app.organization()
        try await app.test { client in
            let marketerA = try await client.token(orgA.emails[.marketer]!)
            let marketerB = try await client.token(orgB.emails[.marketer]!)
            let objection = try await client.create("objections", token: marketerA, ["statement": "Secret wall"])["id"] as! String
            try await client.call(.get, "/api/v1/objections/\(objection)", token: marketerB) { _ = try $0.problemFields(status: .notFound) }
            try await client.call(.patch, "/api/v1/objections/\(objection)", token: marketerB, body: ["status": "dismissed"]) {
                _ = try $0.problemFields(status: .notFound)
            }
            try await client.call(.post, "/api/v1/reports", token: marketerB, body: ["summary": "x", "account": "y", "objection_id": objection]) { let fields = try $0.problemFields(status: .notFound); #expect(fields == ["objection_id"]) }
            #expect((try await client.get("objections", token: marketerB)["items"] as! [Any]).isEmpty)
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var values: [T] = []
        for element in self { values.append(try await transform(element)) }
        return values
    }
}

extension HTTPField.Name {
    static var idempotencyKey: Self { Self("Idempotency-Key")! }
}
