import Foundation
import Logging
import RoadworkStore
import SMTPClient

/// Server settings from `ROADWORK_*` environment variables; the CLI's flags override them.
public struct RoadworkConfig: Sendable {
    public var databaseURL: String
    /// A streaming standby for reads that tolerate a little lag (`ROADWORK_READ_DATABASE_URL`, e.g. with
    /// `target_session_attrs=prefer-standby`); nil: every read uses `databaseURL`.
    public var readDatabaseURL: String?
    /// Whether the server prepares its statements (`ROADWORK_DB_PREPARED_STATEMENTS`, default on). Off behind PgBouncer
    /// in transaction mode, where a prepared statement may be on another server connection than the next transaction's.
    public var preparedStatements: Bool
    /// The connection that listens for what other server processes announce (`ROADWORK_LISTEN_DATABASE_URL`, default
    /// `databaseURL`). LISTEN needs a session of its own: behind a pooler in transaction mode, point it at PostgreSQL.
    public var listenDatabaseURL: String?
    public var host: String
    public var port: Int
    public var poolSize: Int
    /// How many similar-objection searches one process runs at once (`ROADWORK_SEARCH_CONCURRENCY`, default the number of
    /// cores): a search keeps a database core busy, and more at once than cores only stretches every one of them.
    public var searchConcurrency: Int
    /// How long one exchange with the database may take in the server (`ROADWORK_DB_DEADLINE_SECONDS`, default 30; 0 for
    /// none): the server cancels a statement at this time and a call to a server that does not answer is cut off a
    /// second later, its connection discarded, so a hung primary costs one deadline and not the whole pool.
    public var databaseDeadline: Duration?
    /// How long opening a connection may take, per host of the URL (`ROADWORK_DB_CONNECT_TIMEOUT_SECONDS`, default 5),
    /// unless the URL says `connect_timeout` itself.
    public var connectTimeoutSeconds: Int
    public var logLevel: Logger.Level
    /// Marks the session cookie `Secure`; turn on behind HTTPS.
    public var cookieSecure: Bool
    public var bcryptCost: UInt8
    public var signInThrottle: SignInThrottle
    /// Where people reach this server, for links in Slack messages (default: http://host:port).
    public var publicURL: String
    /// Lets webhooks target loopback, private and link-local addresses (a receiver on the same host or network). Off by
    /// default: an admin could otherwise make the server call internal services or the cloud metadata address.
    public var webhookAllowPrivate: Bool
    /// How the webhook worker backs off, gives a delivery up and switches a failing endpoint off.
    public var deliveryPolicy: DeliveryPolicy
    /// How long a worker holds an endpoint: a process that dies mid-batch delays that endpoint's events by at most this.
    public var webhookLeaseSeconds: Int
    /// Where mail goes out: `smtp[s]://[user:password@]host[:port][?tls=required|none]`; nil sends no mail.
    public var smtpURL: String?
    /// The sender of every mail: `ROADWORK_MAIL_FROM` (an address), shown as `ROADWORK_MAIL_FROM_NAME`.
    public var mailFrom: String
    public var mailFromName: String
    /// How the mail worker retries a mail the SMTP server did not take, and when it gives up.
    public var mailPolicy: MailPolicy
    /// How often an idle mail worker looks for new mail.
    public var mailPollMilliseconds: Int

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        databaseURL = environment["ROADWORK_DATABASE_URL"] ?? "postgresql:///roadwork"
        readDatabaseURL = environment["ROADWORK_READ_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        preparedStatements = !["0", "false", "no", "off"].contains(environment["ROADWORK_DB_PREPARED_STATEMENTS"]?.lowercased() ?? "")
        listenDatabaseURL = environment["ROADWORK_LISTEN_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        host = environment["ROADWORK_HOST"] ?? "127.0.0.1"
        port = environment["ROADWORK_PORT"].flatMap(Int.init) ?? 8080
        poolSize = environment["ROADWORK_POOL_SIZE"].flatMap(Int.init) ?? 4
        searchConcurrency = max(1, environment["ROADWORK_SEARCH_CONCURRENCY"].flatMap(Int.init) ?? ProcessInfo.processInfo.activeProcessorCount)
        let deadline = environment["ROADWORK_DB_DEADLINE_SECONDS"].flatMap(Double.init) ?? 30
        databaseDeadline = deadline > 0 ? .milliseconds(Int(deadline * 1000)) : nil
        connectTimeoutSeconds = environment["ROADWORK_DB_CONNECT_TIMEOUT_SECONDS"].flatMap(Int.init) ?? 5
        logLevel = environment["ROADWORK_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        cookieSecure = ["1", "true", "yes"].contains(environment["ROADWORK_COOKIE_SECURE"]?.lowercased() ?? "")
        bcryptCost = environment["ROADWORK_BCRYPT_COST"].flatMap(UInt8.init) ?? 12
        signInThrottle = SignInThrottle(
            maxFailures: environment["ROADWORK_SIGNIN_MAX_FAILURES"].flatMap(Int.init) ?? 5,
            windowSeconds: environment["ROADWORK_SIGNIN_WINDOW_SECONDS"].flatMap(Int.init) ?? 900,
            maxFailuresPerAddress: environment["ROADWORK_SIGNIN_MAX_FAILURES_PER_ADDRESS"].flatMap(Int.init) ?? 50
        )
        publicURL = (environment["ROADWORK_PUBLIC_URL"] ?? "http://\(host):\(port)").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        webhookAllowPrivate = ["1", "true", "yes"].contains(environment["ROADWORK_WEBHOOK_ALLOW_PRIVATE"]?.lowercased() ?? "")
        webhookLeaseSeconds = environment["ROADWORK_WEBHOOK_LEASE_SECONDS"].flatMap(Int.init) ?? 60
        smtpURL = environment["ROADWORK_SMTP_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let publicHost = URL(string: publicURL)?.host ?? "localhost"
        mailFrom = environment["ROADWORK_MAIL_FROM"] ?? "roadwork@\(publicHost)"
        mailFromName = environment["ROADWORK_MAIL_FROM_NAME"] ?? "Roadwork"
        mailPolicy = MailPolicy(
            retryBaseSeconds: environment["ROADWORK_MAIL_RETRY_SECONDS"].flatMap(Double.init) ?? 30,
            retryMaxSeconds: environment["ROADWORK_MAIL_RETRY_MAX_SECONDS"].flatMap(Double.init) ?? 1800,
            giveUpHours: environment["ROADWORK_MAIL_GIVE_UP_HOURS"].flatMap(Double.init) ?? 48
        )
        mailPollMilliseconds = environment["ROADWORK_MAIL_POLL_MS"].flatMap(Int.init) ?? 1000
        deliveryPolicy = DeliveryPolicy(
            backoffBaseSeconds: environment["ROADWORK_WEBHOOK_BACKOFF_SECONDS"].flatMap(Double.init) ?? 30,
            backoffMaxSeconds: environment["ROADWORK_WEBHOOK_BACKOFF_MAX_SECONDS"].flatMap(Double.init) ?? 3600,
            giveUpHours: environment["ROADWORK_WEBHOOK_GIVE_UP_HOURS"].flatMap(Double.init) ?? 72,
            disableHours: environment["ROADWORK_WEBHOOK_DISABLE_HOURS"].flatMap(Double.init) ?? 72
        )
    }
}

extension RoadworkConfig {
    /// Refuses to start with an SMTP URL the mail worker could not use (better now than at the first mail).
    public func checkMail() throws {
        if let smtpURL { _ = try SMTPClient(url: smtpURL) }
    }
}

extension RoadworkConfig {
    /// The database URL with a `connect_timeout` unless it has one: libpq otherwise waits for a host that does not answer
    /// as long as the kernel does, and tries the next host of a multi-host URL only after.
    public var databaseURLWithConnectTimeout: String { withConnectTimeout(databaseURL) }

    /// The read replica's URL, likewise.
    public var readDatabaseURLWithConnectTimeout: String? { readDatabaseURL.map(withConnectTimeout) }

    /// The listening connection's URL (its own, or the primary's), likewise.
    public var listenDatabaseURLWithConnectTimeout: String { withConnectTimeout(listenDatabaseURL ?? databaseURL) }

    private func withConnectTimeout(_ url: String) -> String {
        guard !url.contains("connect_timeout"), connectTimeoutSeconds > 0 else { return url }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return url + (url.contains("?") ? "&" : "?") + "connect_timeout=\(connectTimeoutSeconds)"
        }
        return url + " connect_timeout=\(connectTimeoutSeconds)"
    }
}
