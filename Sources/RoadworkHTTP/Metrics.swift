import Metrics
import Prometheus
import PostgresClient
import RoadworkStore

/// The process's Prometheus registry, bootstrapped as the swift-metrics backend once.
enum RoadworkMetrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in
            (prometheusName(name), labels.map { (prometheusName($0.0), $0.1) })
        }
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Hummingbird's metric names, in Prometheus's conventions.
    static func prometheusName(_ name: String) -> String {
        switch name {
        case "hb.requests": return "http_requests_total"
        case "hb.request.errors": return "http_request_errors_total"
        case "http.server.request.duration": return "http_request_duration_seconds"
        default: return name.replacingOccurrences(of: ".", with: "_")
        }
    }

    /// Publishes a pool's counts as gauges just before a scrape, named `PREFIXpool_open` and so on (`roadwork_db_` for the
    /// primary's pool, `roadwork_db_replica_` for the read replica's).
    static func record(_ usage: ConnectionPool.Usage, prefix: String = "roadwork_db_") {
        Gauge(label: prefix + "pool_size").record(usage.size)
        Gauge(label: prefix + "pool_open").record(usage.open)
        Gauge(label: prefix + "pool_in_use").record(usage.inUse)
        Gauge(label: prefix + "pool_waiting").record(usage.waiting)
        // Totals since start (as gauges: the pool keeps the counts, a scrape only reads them).
        Gauge(label: prefix + "deadline_cancellations_total").record(usage.deadlineCancellations)
        Gauge(label: prefix + "connections_opened_total").record(usage.connectionsOpened)
        for (host, open) in usage.hosts {
            Gauge(label: prefix + "connections_by_host", dimensions: [("host", host)]).record(open)
        }
    }

    /// How often the triage inbox answered a report's suggestions from what it kept, and how often it searched.
    static func record(_ memo: SuggestionMemo) {
        Gauge(label: "roadwork_triage_suggestions_reused_total").record(memo.reusedReports)
        Gauge(label: "roadwork_triage_suggestions_searched_total").record(memo.searchedReports)
    }

    /// The read replica's pool, its lag (-1 when it does not answer) and the reads it failed (the primary answered them).
    static func record(_ replica: ReadReplica) async {
        record(replica.pool.usage, prefix: "roadwork_db_replica_")
        Gauge(label: "roadwork_db_replica_failures_total").record(replica.failures)
        Gauge(label: "roadwork_db_replica_lag_seconds").record(await replica.lagSeconds() ?? -1)
    }
}
