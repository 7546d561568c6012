import Foundation
import Logging
import NIOPosix
import RoadworkDomain
import RoadworkStore
import ServiceLifecycle
import SMTPClient

/// Sends mail in the background of every server process: queues the mail events owe (shipped content, joint reviews),
/// the weekly digest on Monday mornings, and sends what is due through SMTP, one mail at a time. A mail is marked sent
/// only after the server accepted it; a failure is retried with backoff (the SMTP server may be down for a while). It runs
/// only when SMTP is configured.
struct MailService: Service {
    let database: Database
    let logger: Logger
    let smtp: SMTPClient
    let composer: MailComposer
    let policy: MailPolicy
    let leaseSeconds: Int
    let pause: Duration

    static let mailsPerRound = 20

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var lastDigestCheck = ContinuousClock.now - .seconds(3600)
            while !Task.isCancelled {
                var wait = pause
                do {
                    if ContinuousClock.now - lastDigestCheck > .seconds(300) {
                        lastDigestCheck = .now
                        try await queueWeeklyDigest()
                    }
                    if try await round() == Self.mailsPerRound { wait = .zero }
                } catch {
                    // The database may be away for a while; the queue waits in it.
                    logger.warning("mail round failed", metadata: ["error": "\(error)"])
                    wait = .seconds(1)
                }
                try? await Task.sleep(for: wait)
            }
        }
    }

    /// Queues what events owe, then sends the mail that is due; returns how many it tried.
    @discardableResult
    func round() async throws -> Int {
        while try await database.queueEventMail(limit: 200) == 200 {}
        let due = try await database.claimMail(limit: Self.mailsPerRound, leaseSeconds: leaseSeconds)
        for mail in due { await send(mail) }
        return due.count
    }

    /// From Monday 08:00 UTC, each head and marketer gets that week's digest once (the queue's key makes it once).
    func queueWeeklyDigest(now: Date = Date()) async throws {
        let today = Day(now)
        // Day 0 (1970-01-01) was a Thursday: Monday is 3 days on from a multiple of 7.
        let monday = today.adding(days: -((today.number + 3) % 7))
        let sendFrom = Date(timeIntervalSince1970: Double(monday.number) * 86_400 + 8 * 3600)
        guard now >= sendFrom else { return }
        let queued = try await database.queueDigests(key: monday.description, since: sendFrom)
        if queued > 0 { logger.info("weekly digest queued", metadata: ["week": "\(monday)", "mails": "\(queued)"]) }
    }

    func send(_ mail: ClaimedMail) async {
        do {
            let message = try await composer.compose(mail)
            let bytes = Array(message.rendered.utf8)
            let from = composer.fromAddress
            try await NIOThreadPool.singleton.runIfActive { try smtp.send(from: from, to: [mail.toAddress], message: bytes) }
            try await database.mailSent(mail.id, subject: message.subject)
            logger.info("mail sent", metadata: ["mail": "\(mail.id)", "kind": "\(mail.kind.rawValue)", "attempt": "\(mail.attempts)"])
        } catch let dropped as MailComposer.Dropped {
            try? await database.mailFailed(mail.id, error: "not sent: \(dropped)", policy: MailPolicy(giveUpHours: 0))
        } catch {
            logger.warning("mail not sent", metadata: ["mail": "\(mail.id)", "kind": "\(mail.kind.rawValue)", "error": "\(error)"])
            try? await database.mailFailed(mail.id, error: "\(error)", policy: policy)
        }
    }
}
