import Foundation
import Hummingbird
import RoadworkDomain
import RoadworkStore

/// The "Download CSV" links beside the lists: `/exports/{list}.csv` with the list's filters, signed in by the browser's
/// session.
struct ExportPages {
    let web: Web

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("exports/:file") { request, context in
            let identity = try await web.identity(request)
            let file = context.parameters.get("file") ?? ""
            guard file.hasSuffix(".csv"), let list = ExportList(rawValue: String(file.dropLast(4))) else {
                throw Problem(status: .notFound, detail: "There is no such download.")
            }
            return try await CSVExport(database: web.database).response(list, request: request, identity: identity)
        }
    }
}
