import ArgumentParser

/// The `roadwork` command: serve, migrate, org, user, demo, similarity-eval.
@main
struct Roadwork: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roadwork",
        abstract: "Opportunities-and-obstacles planning for sales and marketing teams.",
        subcommands: [Serve.self, Migrate.self, OrgCommand.self, UserCommand.self, ImportCommand.self, Demo.self, SimilarityEval.self]
    )
}
