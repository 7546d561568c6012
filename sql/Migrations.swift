/// One forward-only schema change: `version` orders them, `sql` is the file's text.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// Every migration in `sql/migrations`, in order; add a line here with each new file.
public let migrations: [Migration] = [
    Migration(version: 1, name: "organizations_users_sessions", sql: text(PackageResources._001_organizations_users_sessions_sql)),
    Migration(version: 2, name: "planning", sql: text(PackageResources._002_planning_sql)),
    Migration(version: 3, name: "read_paths", sql: text(PackageResources._003_read_paths_sql)),
    Migration(version: 4, name: "similarity_under_rls", sql: text(PackageResources._004_similarity_under_rls_sql)),
    Migration(version: 5, name: "obstacle_progress", sql: text(PackageResources._005_obstacle_progress_sql)),
    Migration(version: 6, name: "similarity_generic_plan", sql: text(PackageResources._006_similarity_generic_plan_sql)),
    Migration(version: 7, name: "objection_statements", sql: text(PackageResources._007_objection_statements_sql)),
    Migration(version: 8, name: "report_checks", sql: text(PackageResources._008_report_checks_sql)),
    Migration(version: 9, name: "authenticate_once", sql: text(PackageResources._009_authenticate_once_sql)),
    Migration(version: 10, name: "matching_walls", sql: text(PackageResources._010_matching_walls_sql)),
    Migration(version: 11, name: "synonym_probe", sql: text(PackageResources._011_synonym_probe_sql)),
    Migration(version: 12, name: "events_tokens_webhooks", sql: text(PackageResources._012_events_tokens_webhooks_sql)),
    Migration(version: 13, name: "exports", sql: text(PackageResources._013_exports_sql)),
    Migration(version: 14, name: "mail", sql: text(PackageResources._014_mail_sql)),
    Migration(version: 15, name: "report_imports", sql: text(PackageResources._015_report_imports_sql)),
    Migration(version: 16, name: "list_indexes", sql: text(PackageResources._016_list_indexes_sql)),
    Migration(version: 17, name: "progress_decrements", sql: text(PackageResources._017_progress_decrements_sql)),
    Migration(version: 18, name: "sessions_and_audit", sql: text(PackageResources._018_sessions_and_audit_sql)),
    Migration(version: 19, name: "deal_outcomes", sql: text(PackageResources._019_deal_outcomes_sql)),
    Migration(version: 20, name: "review_changes", sql: text(PackageResources._020_review_changes_sql)),
    Migration(version: 21, name: "agenda_notes", sql: text(PackageResources._021_agenda_notes_sql)),
    Migration(version: 22, name: "opportunity_content", sql: text(PackageResources._022_opportunity_content_sql)),
    Migration(version: 23, name: "closed_stage_lookup", sql: text(PackageResources._023_closed_stage_lookup_sql)),
    Migration(version: 24, name: "authenticate_on_standby", sql: text(PackageResources._024_authenticate_on_standby_sql)),
    Migration(version: 25, name: "match_generation", sql: text(PackageResources._025_match_generation_sql)),
    Migration(version: 26, name: "time_ordered_ids", sql: text(PackageResources._026_time_ordered_ids_sql)),
    Migration(version: 27, name: "authenticate_hash_once", sql: text(PackageResources._027_authenticate_hash_once_sql)),
]

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
