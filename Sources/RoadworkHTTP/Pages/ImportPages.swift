import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// The import page for marketers and heads: upload a CSV, map its columns (the organization's last mapping, or a
/// preset, filled in), preview the first rows with each one's problem, then import.
struct ImportPages {
    let web: Web

    /// The largest file the page takes; the command line has no limit.
    static let maxBytes = 20 << 20

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("import") { request, _ in
            let identity = try await web.identity(request, as: Roles.planners)
            return page(request, identity: identity, values: [:])
        }
        // The file itself is the body (sent by the page's script), with the CSRF token in a header.
        router.post("import") { request, _ in
            let identity = try await web.identity(request, as: Roles.planners)
            guard Web.hasCSRFHeader(request) else {
                throw HTTPError(.forbidden, message: "The form has expired; reload the page.")
            }
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: Self.maxBytes)
            } catch {
                return page(request, identity: identity, values: ["errors": ["file": "is larger than \(Self.maxBytes >> 20) MB: use roadwork import reports"]],
                            status: .contentTooLarge)
            }
            let id = try await web.actions.stageImport(by: identity, fileName: String(request.uri.queryParameters["name"] ?? "upload.csv"),
                                                       data: Array(buffer.readableBytesView))
            let preset = String(request.uri.queryParameters["preset"] ?? "")
            return Web.redirect("/import/\(id.lowercasedText)" + (preset.isEmpty ? "" : "?preset=\(preset.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"))
        }
        router.get("import/:id") { request, context in
            let identity = try await web.identity(request, as: Roles.planners)
            let upload = try await upload(request, context, identity)
            return try await preview(request, identity: identity, upload: upload, mapping: ImportMapping(columns: [:]),
                                     preset: request.uri.queryParameters["preset"].map(String.init))
        }
        router.post("import/:id") { request, context in
            let identity = try await web.identity(request, as: Roles.planners)
            let form = try await web.form(request, context: context)
            let upload = try await upload(request, context, identity)
            let header = try await web.actions.previewImport(by: identity, data: upload.data, mapping: ImportMapping(columns: [:]),
                                                             preset: nil, limit: 0).header
            // What the form chose for each column, "" for none: the form's choice replaces any fallback.
            var columns: [String: ImportField] = [:]
            for (index, name) in header.enumerated() {
                if let field = try form.choice("map_\(index)", ImportField.self) { columns[name] = field }
            }
            let mapping = ImportMapping(columns: columns)
            guard form["action"] == "import" else {
                return try await preview(request, identity: identity, upload: upload, mapping: mapping, preset: nil, formMapping: true)
            }
            do {
                let summary = try await web.actions.importReports(by: identity, from: .bytes(upload.data, fileName: upload.fileName),
                                                                  mapping: mapping, preset: nil)
                try await web.actions.database.tenant(identity) { try $0.deleteUpload(id: upload.id) }
                return page(request, identity: identity, values: ["summary": [
                    "fileName": upload.fileName, "rows": summary.rows, "imported": summary.imported, "matched": summary.matchedObjections,
                    "duplicates": summary.duplicates, "failed": summary.failed, "hasErrors": !summary.errors.isEmpty,
                    "errors": summary.errors.map { ["line": $0.line, "reason": $0.reason] as [String: Any] },
                ] as [String: Any]])
            } catch let error as ValidationError {
                return try await preview(request, identity: identity, upload: upload, mapping: mapping, preset: nil, formMapping: true,
                                         errors: Web.fieldMessages(error), status: .unprocessableContent)
            }
        }
    }

    private func upload(_ request: Request, _ context: AppRequestContext, _ identity: Identity) async throws -> ImportUpload {
        let id = try request.uuidParameter("id", context: context, what: "upload")
        guard let upload = try await web.actions.database.tenant(identity, { try $0.upload(id: id) }) else {
            throw HTTPError(.notFound, message: "No such upload: it was imported already, or is more than a day old.")
        }
        return upload
    }

    private func preview(_ request: Request, identity: Identity, upload: ImportUpload, mapping: ImportMapping, preset: String?,
                         formMapping: Bool = false, errors: [String: String] = [:], status: HTTPResponse.Status = .ok) async throws -> Response {
        let shown: ImportPreview
        do {
            shown = try await web.actions.previewImport(by: identity, data: upload.data, mapping: mapping, preset: preset)
        } catch let error as ValidationError {
            return page(request, identity: identity, values: ["errors": Web.fieldMessages(error)], status: .unprocessableContent)
        }
        let chosen = shown.mapping?.columns ?? (formMapping ? mapping.columns : [:])
        let columns = shown.header.enumerated().map { index, name -> [String: Any] in
            let field = chosen[name]
            let options = [["value": "", "label": "— nothing —", "selected": field == nil]]
                + ImportField.allCases.map { ["value": $0.rawValue, "label": spaced($0.rawValue), "selected": $0 == field] }
            return ["index": index, "name": name, "options": options]
        }
        let rows = shown.rows.map { row -> [String: Any] in
            let report = row.report?.report
            return present([
                "line": String(row.line), "summary": report?.summary, "account": report?.account,
                "amount": report?.dealAmount.map { "\($0)" }, "stage": report?.stage?.rawValue, "day": report?.occurredOn.description,
                "objection": row.report?.objection, "error": row.error,
            ])
        }
        return page(request, identity: identity, values: [
            "upload": ["id": upload.id.lowercasedText, "fileName": upload.fileName, "preset": preset ?? "", "columns": columns, "rows": rows,
                       "mappingErrors": shown.mappingErrors, "canImport": shown.mapping != nil] as [String: Any],
            "errors": errors,
        ], status: status)
    }

    private func page(_ request: Request, identity: Identity, values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        var all = values
        all["maxMB"] = Self.maxBytes >> 20
        return web.page(.`import`, title: "Import field reports", identity: identity, request: request, values: all, status: status)
    }
}
