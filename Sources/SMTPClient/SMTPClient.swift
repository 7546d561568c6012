import CLibCurl
import Foundation

/// How a connection to the mail server is secured.
public enum SMTPSecurity: String, Sendable {
    /// `smtps://`: TLS from the first byte (port 465).
    case implicitTLS
    /// STARTTLS, and refuse to send without it (`?tls=required`).
    case startTLSRequired
    /// STARTTLS when the server offers it (the default for `smtp://`).
    case startTLSIfOffered
    /// Never TLS (`?tls=none`), for a relay on the same host.
    case none
}

public struct SMTPError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Sends mail through an SMTP server with libcurl (its SMTP support: TLS, STARTTLS, AUTH), configured by one URL:
/// `smtp[s]://[user:password@]host[:port][?tls=required|none]`. Sending blocks the calling thread; call it off the event loop.
public struct SMTPClient: Sendable {
    public let url: String
    public let security: SMTPSecurity
    public let timeoutSeconds: Int

    private static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    /// Reads the settings from a URL; throws on a scheme or option it does not know.
    public init(url text: String, timeoutSeconds: Int = 30) throws {
        guard var parts = URLComponents(string: text), let scheme = parts.scheme?.lowercased(), ["smtp", "smtps"].contains(scheme),
              let host = parts.host, !host.isEmpty
        else { throw SMTPError(description: "the SMTP URL must look like smtp://[user:password@]host[:port] or smtps://…") }
        let tls = parts.queryItems?.first(where: { $0.name == "tls" })?.value
        switch (scheme, tls) {
        case ("smtps", _): security = .implicitTLS
        case (_, "required"?): security = .startTLSRequired
        case (_, "none"?): security = .none
        case (_, nil), (_, "optional"?): security = .startTLSIfOffered
        default: throw SMTPError(description: "the SMTP URL's tls= must be required, optional or none")
        }
        parts.query = nil
        url = parts.string!
        self.timeoutSeconds = timeoutSeconds
    }

    /// Sends one message (headers and body, CRLF line ends) from `from` to `recipients`; throws what the server or the
    /// connection said when it fails.
    public func send(from: String, to recipients: [String], message: [UInt8]) throws {
        guard Self.initialized, let curl = curl_easy_init() else { throw SMTPError(description: "libcurl could not start") }
        defer { curl_easy_cleanup(curl) }
        var list: UnsafeMutablePointer<curl_slist>?
        for recipient in recipients { list = curl_slist_append(list, "<\(recipient)>") }
        defer { curl_slist_free_all(list) }
        let upload = Upload(bytes: message)
        let context = Unmanaged.passRetained(upload)
        defer { context.release() }
        var errorText = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = errorText.withUnsafeMutableBufferPointer { errorBuffer in
            _ = rw_curl_set_string(curl, CURLOPT_URL, url)
            _ = rw_curl_set_string(curl, CURLOPT_MAIL_FROM, "<\(from)>")
            _ = rw_curl_set_list(curl, CURLOPT_MAIL_RCPT, list)
            _ = rw_curl_set_long(curl, CURLOPT_UPLOAD, 1)
            _ = rw_curl_set_long(curl, CURLOPT_NOSIGNAL, 1)
            _ = rw_curl_set_long(curl, CURLOPT_CONNECTTIMEOUT, 10)
            _ = rw_curl_set_long(curl, CURLOPT_TIMEOUT, timeoutSeconds)
            let useSSL: curl_usessl = switch security {
            case .implicitTLS, .startTLSRequired: CURLUSESSL_ALL
            case .startTLSIfOffered: CURLUSESSL_TRY
            case .none: CURLUSESSL_NONE
            }
            _ = rw_curl_set_long(curl, CURLOPT_USE_SSL, Int(useSSL.rawValue))
            _ = rw_curl_set_pointer(curl, CURLOPT_ERRORBUFFER, errorBuffer.baseAddress)
            _ = rw_curl_set_read_function(curl, { buffer, size, count, context in
                let upload = Unmanaged<Upload>.fromOpaque(context!).takeUnretainedValue()
                return upload.read(into: buffer!, max: size * count)
            })
            _ = rw_curl_set_pointer(curl, CURLOPT_READDATA, context.toOpaque())
            return curl_easy_perform(curl)
        }
        guard code == CURLE_OK else {
            let detail = String(decoding: errorText.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw SMTPError(description: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
        }
    }
}

/// The message libcurl reads as it sends.
private final class Upload {
    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutablePointer<CChar>, max: Int) -> Int {
        let count = min(max, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}
