import ArgumentParser
import Foundation
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// `roadwork import reports FILE --org … [--map column=field …] [--preset salesforce|hubspot] [--as EMAIL]`.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Import data from CSV files.",
                                                    subcommands: [Reports.self])

    struct Reports: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import field reports from a CRM's CSV export (UTF-8), streamed; importing a file again files nothing twice.",
            discussion: """
                Fields: \(ImportField.allCases.map(\.rawValue).joined(separator: ", ")). summary and account must be mapped \
                (several columns may fill the summary). `objection` files a row against the open objection with that \
                statement. Columns not named by --map are mapped by --preset, else by the organization's last import.
                """)

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The CSV file.") var file: String
        @Option(help: "Organization id or name.") var org: String
        @Option(name: .customLong("map"), help: "column=field (repeatable).") var map: [String] = []
        @Option(help: "Column names of a usual export: salesforce or hubspot.") var preset: String?
        @Option(name: .customLong("as"), help: "Email of the person the reports are filed by (default: a marketing head or marketer).")
        var actor: String?

        func run() async throws {
            let config = database.config()
            let logger = Logs.bootstrap(level: config.logLevel)
            let db = database.database(config, logger: logger)
            defer { Task { await db.pool.shutdown() } }
            guard let orgID = try await db.findOrganization(org) else { throw ValidationError("no organization with id or name \(org)") }
            guard let identity = try await db.tenant(orgID, { [actor] in try $0.actingIdentity(email: actor) }) else {
                throw ValidationError(actor.map { "no active person \($0) in \(org)" } ?? "\(org) has no head or marketer to file the reports as; use --as")
            }
            guard let handle = FileHandle(forReadingAtPath: file) else { throw ValidationError("cannot read \(file)") }
            let reader = FileChunks(handle)
            let mapping = try ImportMapping.parse(map)
            let started = ContinuousClock.now
            let summary = try await Actions(database: db).importReports(
                by: identity, from: ImportSource(fileName: URL(fileURLWithPath: file).lastPathComponent) { try reader.next() },
                mapping: mapping, preset: preset)
            let seconds = Double((ContinuousClock.now - started).components.attoseconds) / 1e18 + Double((ContinuousClock.now - started).components.seconds)
            print("read \(summary.rows) rows: imported \(summary.imported) (\(summary.matchedObjections) filed against an objection), "
                  + "skipped \(summary.duplicates) already imported, \(summary.failed) failed; \(String(format: "%.1f", seconds)) s")
            for error in summary.errors { print("  line \(error.line): \(error.reason)") }
            if summary.failed > summary.errors.count { print("  … and \(summary.failed - summary.errors.count) more") }
        }
    }
}

/// A file read 1 MiB at a time.
private final class FileChunks: @unchecked Sendable {
    let handle: FileHandle
    init(_ handle: FileHandle) { self.handle = handle }
    func next() throws -> [UInt8]? {
        guard let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else { return nil }
        return Array(data)
    }
}
