import ArgumentParser
import Foundation
import RoadworkDomain
import RoadworkStore

/// `roadwork similarity-eval FILE`: measures the similar-objections search on a set of walls and rep phrasings.
struct SimilarityEval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similarity-eval",
        abstract: "Measure how often the similar-objections search finds the right wall (recall@5 and top-1, cold and warm).",
        discussion: """
            FILE is JSON: {"walls": [{"statement": "...", "phrasings": ["...", ...]}, ...], "unrelated": ["...", ...]}. \
            A new organization is created in the database (named "Similarity evaluation <tag>") with every statement as an \
            objection. Cold: each phrasing is asked against the statements alone. Warm: the first phrasing of each wall is \
            filed as a report and triaged to it, then the other phrasings are asked. Prints the figures and one JSON line \
            starting with SIMILARITY.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "The evaluation set (JSON).")
    var file: String

    func run() async throws {
        let config = database.config()
        let logger = Logs.bootstrap(level: config.logLevel)
        let db = database.database(config, logger: logger)
        let set = try SimilarityEvaluationSet.load(URL(fileURLWithPath: file))
        let result = try await SimilarityEvaluation.run(set, database: db)
        await db.pool.shutdown()
        print("\(result.walls) walls, \(result.unrelated) unrelated walls around them")
        for (name, scores) in [("cold", result.cold), ("warm", result.warm)] {
            print(String(format: "%@: recall@5 %.3f, top-1 %.3f over %d phrasings; confident %.0f%% of them, %.0f%% of those right",
                         name, scores.recallAt5, scores.top1, scores.asked, scores.confident * 100, scores.confidentRight * 100))
        }
        print("SIMILARITY " + String(decoding: try JSONWriter.encode(result), as: UTF8.self))
    }
}
