import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RoadworkDomain
@testable import RoadworkHTTP
import Testing

@Suite("Every page renders for every role")
struct PageRenderTests {
    @Test func everyPageAnswersEveryRoleWithAWholePageOrARefusalRenderedAsTheMustacheLibraryWould() async throws {
        try checkPageTemplates()
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let marketer = try await client.token(org.emails[.marketer]!)
            let objection = try await client.create("objections", token: marketer, ["statement": "Pages need SSO"])["id"] as! String
            let item = try await client.create("items", token: marketer, ["kind": "obstacle", "title": "Security reviews"])["id"] as! String
            _ = try await client.create("reports", token: marketer, ["summary": "Asked for SSO", "account": "Acme"])
            // A Top 5 agreed in a review, so the home page and an opportunity's page show their progress bars (a partial,
            // indented).
            let opportunity = try await client.create("items", token: marketer, ["kind": "opportunity", "title": "Hospitals"])["id"] as! String
            let salesHead = try await client.token(org.emails[.salesHead]!), marketingHead = try await client.token(org.emails[.marketingHead]!)
            let review = try await client.create("reviews", token: salesHead, [:])["id"] as! String
            let version = try await client.call(.put, "/api/v1/reviews/\(review)/lineup", token: salesHead,
                                                body: ["opportunities": [opportunity], "obstacles": [item]]) { response in
                #expect(response.status == .ok)
                return try #require((try response.object()["lineup"] as? [String: Any])?["version"] as? Int)
            }
            for head in [salesHead, marketingHead] {
                try await client.call(.post, "/api/v1/reviews/\(review)/signoff", token: head, body: ["lineup_version": version]) { #expect($0.status == .ok) }
            }
            let paths = ["/", "/reports/new", "/triage", "/triage/duplicates", "/backlog", "/content", "/review", "/objections/\(objection)",
                         "/items/\(item)", "/items/\(opportunity)", "/vocabulary", "/tokens", "/preferences", "/import", "/admin", "/admin/integrations", "/sessions"]
            for role in Role.allCases {
                let token = try await client.token(org.emails[role]!)
                var rendered = 0
                for path in paths {
                    try await client.execute(uri: path, method: .get,
                                             headers: [.cookie: "roadwork_session=\(token)", .accept: "text/html"]) { response in
                        let html = String(buffer: response.body)
                        #expect([.ok, .forbidden].contains(response.status), "\(role.rawValue) \(path): \(response.status)")
                        #expect(html.hasSuffix("</html>\n") || html.hasSuffix("</html>"), "\(role.rawValue) \(path) is not a whole page")
                        if response.status == .ok {
                            rendered += 1
                            #expect(html.contains("<main") && html.count > 800, "\(role.rawValue) \(path) rendered almost nothing")
                        }
                    }
                }
                // Everyone has their own pages; nobody is refused everything.
                #expect(rendered >= 6, "\(role.rawValue) saw only \(rendered) pages")
            }
            for path in ["/signin", "/forgot"] {
                try await client.execute(uri: path, method: .get, headers: [.accept: "text/html"]) { response in
                    #expect(response.status == .ok && String(buffer: response.body).contains("<form"), "\(path)")
                }
            }
            for path in ["/", "/items/\(opportunity)"] {
                try await client.execute(uri: path, method: .get, headers: [.cookie: "roadwork_session=\(salesHead)", .accept: "text/html"]) { response in
                    #expect(String(buffer: response.body).contains("class=\"progress\""), "\(path) shows no progress bar")
                }
            }
            // Pages are rendered from their flattened templates; debug builds render each through the Mustache library
            // as well, from the templates as written, and keep any difference.
            #if DEBUG
            #expect(PageRenderingCheck.differences.withLock { $0 } == [])
            #endif
        }
    }

    @Test func whatPeopleTypedIsEscapedOnThePagesAndNothingElseIs() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let marketer = try await client.token(org.emails[.marketer]!)
            let statement = "Näive <script>alert(\"x\")</script> & 'quotes' – SSO"
            let objection = try await client.create("objections", token: marketer, ["statement": statement])["id"] as! String
            _ = try await client.create("reports", token: marketer, ["summary": "Asked again", "account": "Acme", "objection_id": objection])
            for path in ["/objections/\(objection)", "/backlog"] {
                try await client.execute(uri: path, method: .get, headers: [.cookie: "roadwork_session=\(marketer)", .accept: "text/html"]) { response in
                    let html = String(buffer: response.body)
                    #expect(response.status == .ok)
                    #expect(html.contains("Näive &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39; – SSO"), "\(path)")
                    #expect(!html.contains("<script>alert"), "\(path)")
                }
            }
        }
    }

    @Test func theContentBoardOffersEveryStatusOnACardWithItsOwnSelected() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let marketer = try await client.token(org.emails[.marketer]!)
            let objection = try await client.create("objections", token: marketer, ["statement": "Board needs SSO"])["id"] as! String
            let bite = try await client.create("content", token: marketer, ["objection_id": objection, "title": "SSO one-pager", "format": "one_pager"])
            try await client.execute(uri: "/content", method: .get, headers: [.cookie: "roadwork_session=\(marketer)", .accept: "text/html"]) { response in
                let html = String(buffer: response.body)
                let start = try #require(html.range(of: "id=\"\(bite["id"] as! String)\""))
                let end = try #require(html.range(of: "</article>", range: start.upperBound..<html.endIndex))
                let card = String(html[start.lowerBound..<end.lowerBound])
                for status in ContentStatus.allCases {
                    let selected = status.rawValue == bite["status"] as? String ? " selected" : ""
                    #expect(card.contains("<option value=\"\(status.rawValue)\"\(selected)>"), "\(status.rawValue)")
                }
                #expect(card.components(separatedBy: " selected>").count == 2)
                #expect(card.contains("one pager · Board needs SSO"))
            }
        }
    }

    @Test func anObjectionsPageShowsItsObstacleItsReportsItsBitesAndItsHistory() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        let other = try await app.organization()
        try await app.test { client in
            let marketer = try await client.token(org.emails[.marketer]!)
            let rep = try await client.token(org.emails[.rep]!)
            let head = try await client.token(org.emails[.salesHead]!)
            let obstacle = try await client.create("items", token: marketer, ["kind": "obstacle", "title": "Security reviews stall"])["id"] as! String
            let sso = try await client.create("objections", token: marketer, ["statement": "No SSO", "obstacle_id": obstacle])["id"] as! String
            let saml = try await client.create("objections", token: marketer, ["statement": "No SAML login"])["id"] as! String
            for (token, summary, objection) in [(rep, "Rep asked for SSO", sso), (head, "Head heard SSO", sso),
                                                (rep, "Rep asked for SAML", saml), (head, "Head heard SAML", saml)] {
                _ = try await client.create("reports", token: token, ["summary": summary, "account": "Acme", "objection_id": objection])
            }
            _ = try await client.create("content", token: marketer, ["objection_id": sso, "title": "SSO one-pager draft", "format": "one_pager"])
            try await client.call(.post, "/api/v1/objections/\(saml)/merge", token: marketer, body: ["into": sso]) { #expect($0.status == .ok) }
            func page(_ id: String, _ token: String) async throws -> (HTTPResponse.Status, String) {
                try await client.execute(uri: "/objections/\(id)", method: .get, headers: [.cookie: "roadwork_session=\(token)", .accept: "text/html"]) {
                    ($0.status, String(buffer: $0.body))
                }
            }
            // The target counts every report, its own and the merged wall's; its obstacle, bite and history show.
            let (status, target) = try await page(sso, marketer)
            #expect(status == .ok)
            for text in ["Rep asked for SSO", "Head heard SSO", "Rep asked for SAML", "Head heard SAML", "Security reviews stall",
                         "SSO one-pager draft", "objection.created"] {
                #expect(target.contains(text), "\(text)")
            }
            // The merged wall shows the reports filed against it, not its target's.
            let (_, merged) = try await page(saml, marketer)
            #expect(merged.contains("Rep asked for SAML") && merged.contains("Head heard SAML") && merged.contains("objection.merged"))
            #expect(!merged.contains("Rep asked for SSO") && !merged.contains("Head heard SSO") && !merged.contains("Security reviews stall"))
            // A rep sees their own reports and only published bites.
            let (_, repView) = try await page(sso, rep)
            #expect(repView.contains("Rep asked for SSO") && repView.contains("Rep asked for SAML"))
            #expect(!repView.contains("Head heard") && !repView.contains("SSO one-pager draft"))
            // Another organization's marketer finds nothing there.
            let stranger = try await client.token(other.emails[.marketer]!)
            let (strangerStatus, strangerView) = try await page(sso, stranger)
            #expect(strangerStatus == .notFound && !strangerView.contains("No SSO") && !strangerView.contains("Rep asked"))
        }
    }
}
