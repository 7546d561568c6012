// swift-tools-version:6.1
import PackageDescription

// Our own modules are optimized across module boundaries in release builds: generic row decoding and JSON writing are
// then specialized where they are called instead of going through runtime metadata on every column and key. Release
// builds leave out the run-time exclusivity checks (a twentieth of a read's CPU); debug builds, which the tests run,
// keep them.
let optimized: [SwiftSetting] = [
    .unsafeFlags(["-cross-module-optimization", "-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "roadwork",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "roadwork", targets: ["RoadworkCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // libpq, the PostgreSQL C client, from apt's libpq-dev.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // libcurl, for its SMTP client, from apt's libcurl4-openssl-dev.
        .systemLibrary(
            name: "CLibCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // glibc's malloc.h (mallopt), part of libc: nothing to link or install.
        .systemLibrary(name: "CMalloc"),
        // Sends mail through an SMTP server (TLS, STARTTLS, AUTH) with libcurl.
        .target(name: "SMTPClient", dependencies: ["CLibCurl"]),
        // Gregorian day arithmetic shared by the client's timestamps and the domain's days.
        .target(name: "CivilCalendar", swiftSettings: optimized),
        // Ids written as lower-case text without Foundation's formatting, shared by the client's parameters and the domain's JSON.
        .target(name: "UUIDText", swiftSettings: optimized),
        // A small PostgreSQL client on libpq: connections, a bounded pool, typed rows, typed errors.
        .target(
            name: "PostgresClient",
            dependencies: [
                "CLibPQ",
                "CivilCalendar",
                "UUIDText",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: optimized
        ),
        // The forward-only SQL migrations, embedded in the binary.
        .target(
            name: "RoadworkMigrations",
            path: "sql",
            sources: ["Migrations.swift"],
            resources: [.embedInCode("migrations")]
        ),
        // The product's rules in pure Swift: roles, validation, lineup rules, scoring. No I/O.
        .target(name: "RoadworkDomain", dependencies: ["CivilCalendar", "UUIDText"], swiftSettings: optimized),
        // Raw SQL per aggregate, tenant-scoped transactions, migrations runner.
        .target(
            name: "RoadworkStore",
            dependencies: [
                "PostgresClient",
                "RoadworkDomain",
                "RoadworkMigrations",
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: optimized
        ),
        // One function per change (file, triage, edit, sign, …), called by both the API and the pages: checks the input
        // with the domain's rules and writes it through the store, whose transaction also records audit and domain events.
        .target(
            name: "RoadworkActions",
            dependencies: [
                "RoadworkStore",
                "RoadworkDomain",
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: optimized
        ),
        // The HTTP app: API v1, the web pages (Mustache), middleware, health, metrics, the OpenAPI document, and the
        // background services (teaching the search, delivering webhooks).
        .target(
            name: "RoadworkHTTP",
            dependencies: [
                "RoadworkActions",
                "RoadworkStore",
                "RoadworkDomain",
                "SMTPClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.embedInCode("Resources")],
            swiftSettings: optimized
        ),
        // The `roadwork` executable: serve, migrate, org, user.
        .executableTarget(
            name: "RoadworkCLI",
            dependencies: [
                "CMalloc",
                "RoadworkHTTP",
                "RoadworkStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "PostgresClientTests", dependencies: ["PostgresClient", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "RoadworkDomainTests", dependencies: ["RoadworkDomain"]),
        .testTarget(name: "RoadworkStoreTests", dependencies: ["RoadworkStore", "RoadworkDomain", "RoadworkMigrations", "PostgresClient"]),
        .testTarget(
            name: "RoadworkHTTPTests",
            dependencies: [
                "RoadworkHTTP",
                "RoadworkActions",
                "RoadworkStore",
                "RoadworkDomain",
                "PostgresClient",
                "SMTPClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ]
)
