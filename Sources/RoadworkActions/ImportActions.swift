import Foundation
import RoadworkDomain
import RoadworkStore

/// Where an import's bytes come from: a chunk at a time until nil (a file on disk, an upload).
public struct ImportSource: Sendable {
    public let fileName: String
    public let read: @Sendable () throws -> [UInt8]?

    public init(fileName: String, read: @escaping @Sendable () throws -> [UInt8]?) {
        self.fileName = fileName
        self.read = read
    }

    /// Bytes already in memory, handed out 1 MiB at a time.
    public static func bytes(_ data: [UInt8], fileName: String) -> ImportSource {
        let cursor = ChunkCursor(data)
        return ImportSource(fileName: fileName) { cursor.next() }
    }
}

private final class ChunkCursor: @unchecked Sendable {
    let data: [UInt8]
    var offset = 0
    init(_ data: [UInt8]) { self.data = data }
    func next() -> [UInt8]? {
        guard offset < data.count else { return nil }
        let end = min(data.count, offset + (1 << 20))
        defer { offset = end }
        return Array(data[offset..<end])
    }
}

/// The first rows of a file as the import would read them.
public struct ImportPreview: Sendable {
    public struct Row: Sendable {
        public let line: Int
        public let cells: [String]
        public let report: ImportedReport?
        public let error: String?
    }

    public let header: [String]
    /// The mapping the import would use (given, preset, or remembered), or why there is none yet.
    public let mapping: ImportMapping?
    public let mappingErrors: [String]
    public let rows: [Row]
}

extension Actions {
    /// Keeps an uploaded file for a day, for the import page to map, preview and import.
    public func stageImport(by identity: Identity, fileName: String, data: [UInt8]) async throws -> UUID {
        try await change(by: identity) { try $0.saveUpload(fileName: String(fileName.prefix(200)), data: data) }
    }

    /// Imports field reports from a CSV export as `identity`, in one transaction: rows that pass filing's rules become
    /// reports (streamed with COPY), rows that do not are listed with their line and reason, rows imported before are
    /// skipped. A file that is not CSV (wrong encoding, ragged rows, broken quotes, an endless line, empty) changes
    /// nothing. Columns map by `mapping`, then `preset` ("salesforce", "hubspot"), then the mapping this organization used
    /// last, which the import then remembers.
    public func importReports(by identity: Identity, from source: ImportSource, mapping: ImportMapping, preset: String?,
                              today: Day = Day.today()) async throws -> ImportSummary {
        let fallback = try Self.preset(preset)
        do {
            return try await change(by: identity) { store in
                let parser = ImportParser(source: source, mapping: mapping, fallback: try fallback ?? store.rememberedMapping(), today: today)
                // The file is read and checked on a thread of its own while this one writes the previous chunk.
                let pipe = ChunkPipe<[ImportedReport]>(capacity: 2)
                let thread = Thread { parser.run(into: pipe) }
                thread.start()
                let outcome: ImportOutcome
                do {
                    outcome = try store.importReports { try pipe.next() }
                } catch {
                    pipe.cancel()
                    throw error
                }
                var summary = parser.summary
                guard let resolved = parser.resolved else { throw ValidationError(field: "file", "is empty") }
                if summary.rows == 0 { throw ValidationError(field: "file", "has a header but no rows") }
                summary.imported = outcome.imported
                summary.duplicates = outcome.duplicates
                summary.matchedObjections = outcome.matchedObjections
                try store.rememberMapping(resolved.mapping)
                try store.recordImport(fileName: source.fileName, summary: summary)
                return summary
            }
        } catch let malformed as CSVReader.Malformed {
            throw ValidationError(field: "file", malformed.description)
        }
    }

    /// The header and first `limit` rows of a file, mapped as an import would map them; nothing is written.
    public func previewImport(by identity: Identity, data: [UInt8], mapping: ImportMapping, preset: String?, limit: Int = 10,
                              today: Day = Day.today()) async throws -> ImportPreview {
        let fallback = try Self.preset(preset)
        let remembered = try await change(by: identity) { try $0.rememberedMapping() }
        var reader = CSVReader(startingWith: data)
        var records: [CSVReader.Record] = []
        struct Enough: Error {}
        do {
            try reader.feed(data) { record in
                records.append(record)
                if records.count > limit { throw Enough() }
            }
            try reader.finish { records.append($0) }
        } catch is Enough {
        } catch let malformed as CSVReader.Malformed {
            throw ValidationError(field: "file", malformed.description)
        }
        guard let header = records.first?.cells else { throw ValidationError(field: "file", "is empty") }
        let resolved: ResolvedImport
        do {
            resolved = try mapping.resolve(header: header, fallback: fallback ?? remembered)
        } catch {
            let rows = records.dropFirst().prefix(limit).map { ImportPreview.Row(line: $0.line, cells: $0.cells, report: nil, error: nil) }
            return ImportPreview(header: header, mapping: nil, mappingErrors: error.errors.map(\.message), rows: Array(rows))
        }
        let rows = records.dropFirst().prefix(limit).map { record -> ImportPreview.Row in
            do {
                switch try resolved.report(record, today: today) {
                case .success(let report): return ImportPreview.Row(line: record.line, cells: record.cells, report: report, error: nil)
                case .failure(let error): return ImportPreview.Row(line: record.line, cells: record.cells, report: nil, error: error.description)
                }
            } catch {
                return ImportPreview.Row(line: record.line, cells: record.cells, report: nil, error: "\(error)")
            }
        }
        return ImportPreview(header: header, mapping: resolved.mapping, mappingErrors: [], rows: rows)
    }

    static func preset(_ name: String?) throws(ValidationError) -> ImportMapping? {
        guard let name = name?.trimmed.lowercased(), !name.isEmpty else { return nil }
        guard let preset = ImportMapping.presets[name] else {
            throw ValidationError(field: "preset", "must be one of \(ImportMapping.presets.keys.sorted().joined(separator: ", "))")
        }
        return preset
    }
}

/// Reads a source as CSV and turns its records into reports, in chunks, on the thread that calls `run`.
private final class ImportParser: @unchecked Sendable {
    static let chunkRows = 20_000

    let source: ImportSource
    let mapping: ImportMapping
    let fallback: ImportMapping?
    let today: Day
    /// Read by the importing thread only after the pipe has ended (the pipe's lock orders the accesses).
    private(set) var summary = ImportSummary()
    private(set) var resolved: ResolvedImport?

    init(source: ImportSource, mapping: ImportMapping, fallback: ImportMapping?, today: Day) {
        self.source = source
        self.mapping = mapping
        self.fallback = fallback
        self.today = today
    }

    func run(into pipe: ChunkPipe<[ImportedReport]>) {
        var reader: CSVReader?
        var pending: [ImportedReport] = []
        pending.reserveCapacity(Self.chunkRows)
        func take(_ record: CSVReader.Record) throws {
            guard let resolved else {
                resolved = try mapping.resolve(header: record.cells, fallback: fallback)
                return
            }
            summary.rows += 1
            switch try resolved.report(record, today: today) {
            case .success(let report): pending.append(report)
            case .failure(let error): summary.fail(line: record.line, error)
            }
        }
        do {
            while let chunk = try source.read() {
                if reader == nil { reader = CSVReader(startingWith: chunk) }
                try reader!.feed(chunk, take)
                if pending.count >= Self.chunkRows {
                    guard pipe.put(pending) else { return }
                    pending.removeAll(keepingCapacity: true)
                }
            }
            try reader?.finish(take)
            if !pending.isEmpty { guard pipe.put(pending) else { return } }
            pipe.finish(nil)
        } catch {
            pipe.finish(error)
        }
    }
}

/// A bounded hand-over between a producing thread and a consuming one: `put` waits while `capacity` items wait.
final class ChunkPipe<Item>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Item] = []
    private var ended = false
    private var failure: (any Error)?
    private var cancelled = false
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// False when the consumer gave up: the producer stops.
    func put(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    func finish(_ error: (any Error)?) {
        condition.lock()
        ended = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// The next item, nil at the end, or the producer's error.
    func next() throws -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !ended { condition.wait() }
        if !items.isEmpty {
            condition.broadcast()
            return items.removeFirst()
        }
        if let failure { throw failure }
        return nil
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
