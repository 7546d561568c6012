import RoadworkDomain
import Testing

@Suite("Input is checked field by field")
struct ValidationTests {
    @Test func aNewUserWithEveryFieldWrongNamesEveryField() {
        #expect {
            _ = try NewUser.validate(email: "not-an-email", name: "  ", role: "boss", password: "short")
        } throws: { error in
            (error as? ValidationError)?.errors.map(\.field) == ["email", "name", "role", "password"]
        }
    }

    @Test func anEmailWhoseDomainStartsWithACombiningScalarIsStillSplitAtItsAt() throws {
        // "@" followed by an emoji skin tone is one Character; the address is still one local part and one domain.
        #expect(try NewUser.validate(email: "ab@\u{1F3FB}x.io", name: "A", role: "rep", password: "long enough").email == "ab@\u{1F3FB}x.io")
        #expect(try NewUser.validate(email: "a\u{301}@b.co", name: "A", role: "rep", password: "long enough").email == "a\u{301}@b.co")
        for bad in ["@\u{1F3FB}x.io", "a@\u{1F3FB}x", "a@b@c.io", "a@.b.io", "a@b.io.", "a b@c.io", "a@b\u{2028}.io"] {
            #expect(throws: ValidationError.self, "\(bad)") { try NewUser.validate(email: bad, name: "A", role: "rep", password: "long enough") }
        }
    }

    @Test func emailsAreTrimmedAndLowerCased() throws {
        let user = try NewUser.validate(email: "  Rep@Example.COM ", name: " Riley ", role: "rep", password: "long enough")
        #expect(user.email == "rep@example.com")
        #expect(user.name == "Riley")
        #expect(user.role == .rep)
    }

    @Test func anAdminCannotDemoteOrDeactivateThemselves() {
        #expect(throws: DomainError.conflict("You cannot remove your own admin role.")) {
            _ = try UserChanges.validate(name: nil, role: "rep", active: nil, password: nil, isSelf: true)
        }
        #expect(throws: DomainError.conflict("You cannot deactivate yourself.")) {
            _ = try UserChanges.validate(name: nil, role: nil, active: false, password: nil, isSelf: true)
        }
        #expect(throws: Never.self) {
            _ = try UserChanges.validate(name: nil, role: "rep", active: false, password: nil, isSelf: false)
        }
    }

    @Test func passwordsAreEightToSeventyTwoCodePoints() throws {
        #expect(throws: ValidationError.self) {
            _ = try NewUser.validate(email: "a@b.co", name: "A", role: "rep", password: String(repeating: "é", count: 73))
        }
        #expect(throws: ValidationError.self) {
            _ = try NewUser.validate(email: "a@b.co", name: "A", role: "rep", password: "e\u{301}e\u{301}e\u{301}")
        }
        // Eight code points are eight, though "e" and a combining accent make one character.
        _ = try NewUser.validate(email: "a@b.co", name: "A", role: "rep", password: String(repeating: "e\u{301}", count: 4))
        _ = try NewUser.validate(email: "a@b.co", name: "A", role: "rep", password: String(repeating: "é", count: 72))
    }

    @Test func aSynonymListNamingATermTwiceIsRefusedAndTheSameWordInAnotherCaseIsMerged() throws {
        do {
            _ = try SynonymTerms.validate(["SSO", "SAML", "SSO"])
            Issue.record("a repeated term was accepted")
        } catch {
            #expect(error.errors.map(\.field) == ["terms[2]"])
        }
        #expect(try SynonymTerms.validate(["SSO", "sso", " SAML "]).terms == ["SSO", "SAML"])
    }

    @Test func onlyHeadsAndMarketersManagePlanning() {
        #expect(Role.allCases.filter(\.canManagePlanning) == [.salesHead, .marketingHead, .marketer])
        #expect(Role.allCases.filter(\.isHead) == [.salesHead, .marketingHead])
    }
}
