import Foundation
import RoadworkDomain

/// API.md's "who" column as role sets.
enum Roles {
    static let everyone = Set(Role.allCases)
    static let heads: Set<Role> = [.salesHead, .marketingHead]
    static let planners: Set<Role> = [.salesHead, .marketingHead, .marketer]
    static let auditors: Set<Role> = [.salesHead, .marketingHead, .admin]
}
