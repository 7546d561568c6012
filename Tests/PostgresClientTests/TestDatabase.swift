import Foundation
import Testing

/// Connection strings of the throwaway clusters that deploy/test starts.
enum TestDatabase {
    static func url(_ variable: String = "ROADWORK_TEST_DATABASE_URL") throws -> String {
        try #require(ProcessInfo.processInfo.environment[variable], "\(variable) is not set: run the suite with deploy/test")
    }
}
