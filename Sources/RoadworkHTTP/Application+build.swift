import Hummingbird
import NIOCore
import Logging
import PostgresClient
import RoadworkActions
import RoadworkStore
import ServiceLifecycle
import SMTPClient

/// Assembles the router, middleware and services: the one place to see how the app is put together.
public func buildApplication(config: RoadworkConfig, database: Database, logger: Logger) -> some ApplicationProtocol {
    let reviewChanges = ReviewChanges()
    let router = buildRouter(config: config, database: database, reviewChanges: reviewChanges)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "roadwork"),
        logger: logger
    )
    app.addServices(DatabaseService(database: database), TeachingService(database: database, logger: logger),
                    WebhookService(database: database, logger: logger, publicURL: config.publicURL, allowPrivate: config.webhookAllowPrivate,
                                   policy: config.deliveryPolicy, leaseSeconds: config.webhookLeaseSeconds),
                    ChangeListener(conninfo: config.listenDatabaseURLWithConnectTimeout, deadline: config.databaseDeadline ?? .seconds(30),
                                   changes: reviewChanges, database: database, logger: logger))
    // Without SMTP there is no mail worker: nothing is queued from events, nothing is sent, nothing fails.
    if let smtp = config.smtpURL.flatMap({ try? SMTPClient(url: $0) }) {
        app.addServices(MailService(database: database, logger: logger, smtp: smtp,
                                    composer: MailComposer(database: database, publicURL: config.publicURL, fromAddress: config.mailFrom,
                                                           fromName: config.mailFromName),
                                    policy: config.mailPolicy, leaseSeconds: 120, pause: .milliseconds(config.mailPollMilliseconds)))
    } else {
        logger.info("mail is off: set ROADWORK_SMTP_URL to send it")
    }
    return app
}

/// Parses every page template and checks each page has one; `roadwork serve` calls it first and does not start when it
/// throws (the error names the template).
public func checkPageTemplates() throws {
    _ = try Templates.loaded.get()
    _ = try Templates.rows.get()
    _ = try Templates.pages.get()
}

/// The router with every route and middleware; tests drive it directly.
/// `reviewChanges` tells open review pages about changes; without a `ChangeListener` feeding it (router tests) they hear none.
public func buildRouter(config: RoadworkConfig, database: Database) -> Router<AppRequestContext> {
    buildRouter(config: config, database: database, reviewChanges: ReviewChanges())
}

func buildRouter(config: RoadworkConfig, database: Database, reviewChanges: ReviewChanges) -> Router<AppRequestContext> {
    _ = RoadworkMetrics.registry
    _ = Templates.library
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: NamelessQueryMiddleware())
    let refusals = PageRefusalMiddleware()
    router.add(middleware: refusals)
    let routeMethods = RouteMethods()
    router.add(middleware: MethodNotAllowedMiddleware(routes: routeMethods))
    router.add(middleware: DatabaseWorkMiddleware(database: database))

    HealthController(database: database).addRoutes(to: router)

    let actions = Actions(database: database, allowPrivateTargets: config.webhookAllowPrivate)
    let sessions = SessionController(database: database, actions: actions, config: config)
    let api = router.group("api/v1")
    sessions.addPublicRoutes(to: api)
    api.get("openapi.yaml") { _, _ in
        Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_yaml)))
    }

    let signedIn = api.group().add(middleware: AuthenticationMiddleware(database: database))
    sessions.addRoutes(to: signedIn)
    UserController(database: database, actions: actions).addRoutes(to: signedIn)
    FocusController(database: database, actions: actions).addRoutes(to: signedIn)
    ReviewController(database: database, actions: actions).addRoutes(to: signedIn)
    ObjectionController(database: database, actions: actions, searches: ConcurrencyLimit(config.searchConcurrency)).addRoutes(to: signedIn)
    DealController(database: database, actions: actions).addRoutes(to: signedIn)
    ReportController(database: database, actions: actions).addRoutes(to: signedIn, filing: api.group().add(middleware: SessionTokenMiddleware()))
    ContentController(database: database, actions: actions).addRoutes(to: signedIn)
    BacklogController(database: database, actions: actions).addRoutes(to: signedIn)
    AccountController(database: database, actions: actions).addRoutes(to: signedIn)
    SynonymController(database: database, actions: actions).addRoutes(to: signedIn)
    TriageController(database: database, actions: actions).addRoutes(to: signedIn)
    TokenController(database: database, actions: actions).addRoutes(to: signedIn)
    WebhookController(database: database, actions: actions).addRoutes(to: signedIn)
    CSVExport(database: database).addRoutes(to: signedIn)
    MailController(database: database, actions: actions).addRoutes(to: signedIn, public: api)

    let web = Web(database: database, actions: actions, config: config)
    StaticAssets.addRoutes(to: router)
    SignInPages(web: web).addRoutes(to: router)
    SessionPages(web: web).addRoutes(to: router)
    HomePage(web: web).addRoutes(to: router)
    ReportPages(web: web).addRoutes(to: router)
    TriagePages(web: web).addRoutes(to: router)
    BacklogPages(web: web).addRoutes(to: router)
    ContentPages(web: web).addRoutes(to: router)
    ReviewPages(web: web, changes: reviewChanges).addRoutes(to: router)
    DetailPages(web: web).addRoutes(to: router)
    VocabularyPages(web: web).addRoutes(to: router)
    AdminPages(web: web).addRoutes(to: router)
    TokenPages(web: web).addRoutes(to: router)
    IntegrationPages(web: web).addRoutes(to: router)
    ExportPages(web: web).addRoutes(to: router)
    MailPages(web: web).addRoutes(to: router)
    ImportPages(web: web).addRoutes(to: router)
    routeMethods.load(from: router)
    refusals.route(with: router.buildResponder())
    return router
}

/// Closes the pools after the server has drained its in-flight requests (services stop in reverse order).
struct DatabaseService: Service {
    let database: Database

    func run() async throws {
        try? await gracefulShutdown()
        await database.pool.shutdown()
        await database.replica?.pool.shutdown()
    }
}
