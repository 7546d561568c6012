import Mustache

/// The page templates, embedded in the binary and parsed once at start-up.
enum Templates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        let sources: [(String, [UInt8])] = [
            ("layout", PackageResources.layout_mustache), ("signin", PackageResources.signin_mustache),
            ("home", PackageResources.home_mustache), ("report_new", PackageResources.report_new_mustache),
            ("triage", PackageResources.triage_mustache), ("backlog", PackageResources.backlog_mustache),
            ("content", PackageResources.content_mustache), ("review", PackageResources.review_mustache),
            ("objection", PackageResources.objection_mustache), ("item", PackageResources.item_mustache),
            ("admin", PackageResources.admin_mustache), ("vocabulary", PackageResources.vocabulary_mustache),
            ("tokens", PackageResources.tokens_mustache), ("integrations", PackageResources.integrations_mustache),
            ("webhook", PackageResources.webhook_mustache), ("duplicates", PackageResources.duplicates_mustache),
            ("mail_link", PackageResources.mail_link_mustache), ("forgot", PackageResources.forgot_mustache),
            ("choose_password", PackageResources.choose_password_mustache), ("preferences", PackageResources.preferences_mustache),
            ("import", PackageResources.import_mustache),
        ]
        for (name, bytes) in sources {
            // A template that does not parse is a programming error caught by the page tests.
            try! library.register(String(decoding: bytes, as: UTF8.self), named: name)
        }
        return library
    }()
}
