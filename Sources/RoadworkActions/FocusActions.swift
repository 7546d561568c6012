import Foundation
import RoadworkDomain
import RoadworkStore

extension Actions {
    /// Adds an opportunity or an obstacle the heads may put in a Top 5.
    public func createFocusItem(by identity: Identity, kind: String?, title: String?, description: String?) async throws -> FocusItem {
        let new = try NewFocusItem.validate(kind: kind, title: title, description: description)
        return try await change(by: identity) { try $0.createFocusItem(new) }
    }

    /// Renames, redescribes or retires a focus item.
    public func editFocusItem(by identity: Identity, id: UUID, title: String?, description: String?, status: String?,
                              expectedVersion: Int?) async throws -> FocusItem {
        let changes = try FocusItemChanges.validate(title: title, description: description, status: status)
        return try await change(by: identity) { try $0.updateFocusItem(id: id, changes: changes, expectedVersion: expectedVersion) }
    }
}
