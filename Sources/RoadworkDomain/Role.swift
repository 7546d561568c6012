/// What a person does in the organization, which decides what they may do in Roadwork.
public enum Role: String, Codable, Sendable, CaseIterable {
    case admin
    case salesHead = "sales_head"
    case marketingHead = "marketing_head"
    case marketer
    case rep

    /// Heads open joint reviews, edit the draft lineup and sign off.
    public var isHead: Bool { self == .salesHead || self == .marketingHead }

    /// Heads and marketers triage reports, manage objections and content, and pull from the backlog.
    public var canManagePlanning: Bool { isHead || self == .marketer }
}
