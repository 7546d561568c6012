import Foundation
import Synchronization

/// The triage inbox's suggestions, kept per report for as long as the organization's match generation stands (migration
/// 0025 moves it with every change to what the search reads). A marketer looking at the inbox again, or a colleague
/// looking at the same reports, costs no search; any change that could alter an answer makes every kept one stale.
public final class SuggestionMemo: Sendable {
    /// What one report's search found: objections by id with their similarity, best first.
    struct Kept: Sendable {
        let summary: String
        let limit: Int
        let found: [Found]
    }

    struct Found: Sendable {
        let objectionID: UUID
        let similarity: Double
    }

    private struct Organization {
        var generation: Int64
        var reports: [UUID: Kept]
    }

    /// Bounds the memory: past this many reports an organization's kept suggestions start afresh.
    static let reportsPerOrganization = 2_000
    static let organizations = 1_000
    private let kept = Mutex<[UUID: Organization]>([:])
    private let counts = Mutex<(reused: Int, searched: Int)>((0, 0))

    public init() {}

    /// Reports whose suggestions were answered from the memo, and those searched for, since the process started.
    public var reusedReports: Int { counts.withLock { $0.reused } }
    public var searchedReports: Int { counts.withLock { $0.searched } }

    /// The kept suggestions of those reports that have them at this generation, for this text and number asked.
    func kept(orgID: UUID, generation: Int64, reports: [(id: UUID, summary: String)], limit: Int) -> [UUID: [Found]] {
        kept.withLock { kept in
            guard let organization = kept[orgID], organization.generation == generation else { return [:] }
            var found: [UUID: [Found]] = [:]
            for report in reports {
                if let entry = organization.reports[report.id], entry.summary == report.summary, entry.limit == limit {
                    found[report.id] = entry.found
                }
            }
            counts.withLock { $0.reused += found.count }
            return found
        }
    }

    /// Keeps what was found at `generation`; suggestions kept at an older one are dropped.
    func keep(orgID: UUID, generation: Int64, _ entries: [(id: UUID, kept: Kept)]) {
        counts.withLock { $0.searched += entries.count }
        kept.withLock { kept in
            var organization = kept[orgID] ?? Organization(generation: generation, reports: [:])
            if organization.generation < generation { organization = Organization(generation: generation, reports: [:]) }
            guard organization.generation == generation else { return }
            if organization.reports.count + entries.count > Self.reportsPerOrganization { organization.reports = [:] }
            for entry in entries { organization.reports[entry.id] = entry.kept }
            if kept[orgID] == nil && kept.count >= Self.organizations { kept = [:] }
            kept[orgID] = organization
        }
    }
}
