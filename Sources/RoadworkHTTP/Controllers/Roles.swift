import Foundation
import RoadworkDomain

/// API.md's "who" column as role sets.
enum Roles {
    static let everyone = Set(Role.allCases)
    static let heads: Set<Role> = [.salesHead, .marketingHead]
    static let planners: Set<Role> = [.salesHead, .marketingHead, .marketer]
    static let auditors: Set<Role> = [.salesHead, .marketingHead, .admin]
}

extension Page {
    /// A `(time, id)` keyset cursor as lists ordered newest first use.
    var timeCursor: (Date, UUID)? {
        get throws {
            guard let key = cursor else { return nil }
            guard key.count == 2, let seconds = Double(key[0]), let id = UUID(uuidString: key[1]) else {
                throw Problem.invalid([.init(field: "cursor", message: "is not a cursor this server gave out")])
            }
            return (Date(timeIntervalSince1970: seconds), id)
        }
    }

    static func timeKey(_ date: Date, _ id: UUID) -> [String] { [String(format: "%.6f", date.timeIntervalSince1970), id.uuidString] }
}

