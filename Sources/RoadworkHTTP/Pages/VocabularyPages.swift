import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// The vocabulary page: synonym groups the search applies, read by everyone, edited by marketers and heads.
struct VocabularyPages {
    let web: Web

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("vocabulary") { request, _ in
            let identity = try await web.identity(request)
            return try await page(request, identity: identity)
        }
        router.post("vocabulary") { request, context in
            let identity = try await web.identity(request, as: Roles.planners)
            let form = try await web.form(request, context: context)
            do {
                _ = try await web.actions.createSynonymGroup(by: identity, terms: SynonymTerms.split(commaSeparated: form["terms"]))
                return Web.redirect("/vocabulary", done: "Synonyms added.")
            } catch let error as ValidationError {
                return try await page(request, identity: identity, newTerms: form["terms"] ?? "", error: Self.message(error), status: .unprocessableContent)
            }
        }
        router.post("vocabulary/:id") { request, context in
            let identity = try await web.identity(request, as: Roles.planners)
            let form = try await web.form(request, context: context)
            let id = try request.uuidParameter("id", context: context, what: "synonym group")
            let version = try form.int("version")
            if form["delete"] != nil {
                try await web.actions.deleteSynonymGroup(by: identity, id: id, expectedVersion: version)
                return Web.redirect("/vocabulary", done: "Synonyms removed.")
            }
            do {
                _ = try await web.actions.editSynonymGroup(by: identity, id: id, terms: SynonymTerms.split(commaSeparated: form["terms"]),
                                                           expectedVersion: version)
                return Web.redirect("/vocabulary#group-\(id.lowercasedText)", done: "Synonyms saved.")
            } catch let error as ValidationError {
                return try await page(request, identity: identity, failed: (id, form["terms"] ?? "", Self.message(error)), status: .unprocessableContent)
            }
        }
    }

    static func message(_ error: ValidationError) -> String {
        "This " + error.errors.map { "\($0.field.hasPrefix("terms[") ? "term" : "list") \($0.message)" }.joined(separator: "; ") + "."
    }

    private func page(_ request: Request, identity: Identity, newTerms: String = "", error: String? = nil,
                      failed: (UUID, String, String)? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let groups = try await web.database.tenant(identity, mayLag: false) { try $0.synonymGroups() }
        let values: [String: Any] = present([
            "newTerms": newTerms, "newError": error,
            "groups": groups.map { group -> [String: Any] in
                let failedHere = failed?.0 == group.id
                return present(["id": group.id.lowercasedText, "version": group.version,
                                "terms": failedHere ? failed!.1 : group.terms.joined(separator: ", "),
                                "error": failedHere ? failed!.2 : nil])
            },
        ])
        return web.page(.vocabulary, title: "Vocabulary", identity: identity, request: request, values: values, status: status)
    }
}
