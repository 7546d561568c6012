import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real SMTP server for the mail tests: aiosmtpd (from the test venv that `deploy/test` makes), writing every mail
/// it accepts to a maildir. Stopping and starting it again on the same port plays an SMTP server that goes down.
final class SMTPTestServer: @unchecked Sendable {
    let port: Int
    let directory: URL
    private var process: Process?

    init(port: Int) throws {
        self.port = port
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("roadwork-smtp-\(UUID().uuidString)")
        for sub in ["new", "cur", "tmp"] {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
    }

    var url: String { "smtp://127.0.0.1:\(port)" }

    func start() throws {
        guard let python = ProcessInfo.processInfo.environment["ROADWORK_TEST_PYTHON"] else {
            throw SMTPTestError(description: "ROADWORK_TEST_PYTHON is not set: run the tests with deploy/test")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(port)", "-c", "aiosmtpd.handlers.Mailbox", directory.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        for _ in 0..<100 where !Self.accepts(port: port) { usleep(50_000) }
        usleep(100_000)
        // Another server on the port would take the mail: this one must be the one listening.
        guard Self.accepts(port: port), process.isRunning else { throw SMTPTestError(description: "aiosmtpd did not start on port \(port)") }
    }

    func stop() {
        // aiosmtpd shuts down slowly on SIGTERM (or not at all while a client is connected): an SMTP server that dies.
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process?.waitUntilExit()
        process = nil
    }

    deinit { stop() }

    /// Every mail received so far.
    func messages() throws -> [ReceivedMail] {
        let folder = directory.appendingPathComponent("new")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().map {
            ReceivedMail(try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8))
        }
    }

    /// Mail received for these addresses.
    func messages(to addresses: Set<String>) throws -> [ReceivedMail] {
        try messages().filter { addresses.contains($0.recipient) }
    }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

struct SMTPTestError: Error, CustomStringConvertible {
    let description: String
}

/// A received mail, read the way a mail program would: unfolded headers, RFC 2047 subjects, base64 parts decoded.
struct ReceivedMail {
    let raw: String
    let headers: [String: String]
    let text: String
    let html: String

    init(_ raw: String) {
        self.raw = raw
        let normalized = raw.replacingOccurrences(of: "\r\n", with: "\n")
        let split = normalized.range(of: "\n\n")
        let head = split.map { String(normalized[..<$0.lowerBound]) } ?? normalized
        let body = split.map { String(normalized[$0.upperBound...]) } ?? ""
        headers = Self.headers(head)
        var text = "", html = ""
        if let type = headers["content-type"], let range = type.range(of: "boundary=\"") {
            let boundary = String(type[range.upperBound...].prefix { $0 != "\"" })
            for part in body.components(separatedBy: "--\(boundary)") {
                guard let gap = part.range(of: "\n\n") else { continue }
                let partHeaders = Self.headers(String(part[..<gap.lowerBound]).trimmingCharacters(in: .newlines))
                let encoded = part[gap.upperBound...].filter { !$0.isWhitespace }
                let decoded = Data(base64Encoded: String(encoded)).map { String(decoding: $0, as: UTF8.self) } ?? ""
                if partHeaders["content-type"]?.hasPrefix("text/plain") == true { text = decoded }
                if partHeaders["content-type"]?.hasPrefix("text/html") == true { html = decoded }
            }
        }
        self.text = text
        self.html = html
    }

    var subject: String { Self.decodeWords(headers["subject"] ?? "") }
    /// The envelope recipient aiosmtpd recorded.
    var recipient: String { headers["x-rcptto"] ?? "" }

    /// The first link in the plain text that contains `fragment`, as a path on the server.
    func path(containing fragment: String, base: String) -> String? {
        text.split(whereSeparator: { $0.isWhitespace }).map(String.init)
            .first { $0.hasPrefix(base) && $0.contains(fragment) }
            .map { String($0.dropFirst(base.count)) }
    }

    static func headers(_ head: String) -> [String: String] {
        var result: [String: String] = [:]
        var last: String?
        for line in head.split(separator: "\n", omittingEmptySubsequences: false) {
            if let first = line.first, first == " " || first == "\t", let key = last {
                result[key, default: ""] += " " + line.trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].lowercased()
            if result[key] == nil { result[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
            last = key
        }
        return result
    }

    /// Decodes `=?UTF-8?B?…?=` words (adjacent words join without the space between them).
    static func decodeWords(_ value: String) -> String {
        let words = value.split(separator: " ")
        guard words.allSatisfy({ $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") }) else { return value }
        return words.map { word in
            let inner = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            return Data(base64Encoded: String(inner)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }.joined()
    }
}
