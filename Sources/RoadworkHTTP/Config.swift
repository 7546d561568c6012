import Foundation
import Logging
import RoadworkStore

/// Server settings from `ROADWORK_*` environment variables; the CLI's flags override them.
public struct RoadworkConfig: Sendable {
    public var databaseURL: String
    public var host: String
    public var port: Int
    public var poolSize: Int
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

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        databaseURL = environment["ROADWORK_DATABASE_URL"] ?? "postgresql:///roadwork"
        host = environment["ROADWORK_HOST"] ?? "127.0.0.1"
        port = environment["ROADWORK_PORT"].flatMap(Int.init) ?? 8080
        poolSize = environment["ROADWORK_POOL_SIZE"].flatMap(Int.init) ?? 4
        logLevel = environment["ROADWORK_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        cookieSecure = ["1", "true", "yes"].contains(environment["ROADWORK_COOKIE_SECURE"]?.lowercased() ?? "")
        bcryptCost = environment["ROADWORK_BCRYPT_COST"].flatMap(UInt8.init) ?? 12
        signInThrottle = SignInThrottle(
            maxFailures: environment["ROADWORK_SIGNIN_MAX_FAILURES"].flatMap(Int.init) ?? 5,
            windowSeconds: environment["ROADWORK_SIGNIN_WINDOW_SECONDS"].flatMap(Int.init) ?? 900
        )
        publicURL = (environment["ROADWORK_PUBLIC_URL"] ?? "http://\(host):\(port)").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        webhookAllowPrivate = ["1", "true", "yes"].contains(environment["ROADWORK_WEBHOOK_ALLOW_PRIVATE"]?.lowercased() ?? "")
        webhookLeaseSeconds = environment["ROADWORK_WEBHOOK_LEASE_SECONDS"].flatMap(Int.init) ?? 60
        deliveryPolicy = DeliveryPolicy(
            backoffBaseSeconds: environment["ROADWORK_WEBHOOK_BACKOFF_SECONDS"].flatMap(Double.init) ?? 30,
            backoffMaxSeconds: environment["ROADWORK_WEBHOOK_BACKOFF_MAX_SECONDS"].flatMap(Double.init) ?? 3600,
            giveUpHours: environment["ROADWORK_WEBHOOK_GIVE_UP_HOURS"].flatMap(Double.init) ?? 72,
            disableHours: environment["ROADWORK_WEBHOOK_DISABLE_HOURS"].flatMap(Double.init) ?? 72
        )
    }
}
