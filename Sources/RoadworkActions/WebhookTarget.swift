#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NIOPosix
import RoadworkDomain

/// Where a webhook may be sent. Roadwork calls URLs an admin typed, so without a check an admin (or anyone who steals an
/// admin's session) could make the server call internal services or the cloud metadata address. The host is resolved
/// and every address it resolves to must be public, unless the operator allows private targets. A host that does not
/// resolve yet is registered (it may be about to exist) and refused at delivery, where the delivery log says why.
public enum WebhookTarget {
    /// An endpoint's settings as given, checked (the domain's rules, then the URL's addresses): the API and the
    /// Integrations page both register and change endpoints through it.
    static func checked(url: String?, description: String?, eventTypes: [String]?, format: String?, enabled: Bool?, creating: Bool,
                        allowPrivate: Bool) async throws -> WebhookSettings {
        let settings = try WebhookSettings.validate(url: url, description: description, eventTypes: eventTypes, format: format,
                                                    enabled: enabled, creating: creating)
        if let url = settings.url {
            if !allowPrivate, let host = URL(string: url)?.host, isAddress(host) {
                let address = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                throw ValidationError(field: "url", isPrivate(address)
                    ? "is \(address), a loopback, private, link-local or metadata address; an operator may allow such targets with ROADWORK_WEBHOOK_ALLOW_PRIVATE"
                    : "must name a host, not an address; an operator may allow addresses with ROADWORK_WEBHOOK_ALLOW_PRIVATE")
            }
            if let refusal = await refusal(for: url, allowPrivate: allowPrivate, unresolved: nil) { throw ValidationError(field: "url", refusal) }
        }
        return settings
    }

    /// Why `url` may not be called, or nil when it may; `unresolved` is the answer for a host that does not resolve.
    /// Resolves the host off the event loops.
    public static func refusal(for url: String, allowPrivate: Bool,
                               unresolved: String? = "has a host that does not resolve") async -> String? {
        guard let parsed = URL(string: url), let host = parsed.host, let scheme = parsed.scheme?.lowercased(),
              ["http", "https"].contains(scheme) else { return "is not an http or https URL" }
        if allowPrivate { return nil }
        let addresses: [String]
        do {
            addresses = try await NIOThreadPool.singleton.runIfActive { try resolve(host) }
        } catch {
            return unresolved.map { "\($0) (\(host))" }
        }
        if addresses.isEmpty { return unresolved.map { "\($0) (\(host))" } }
        if let blocked = addresses.first(where: isPrivate) {
            return "resolves to \(blocked), a loopback, private, link-local or metadata address; an operator may allow such targets with ROADWORK_WEBHOOK_ALLOW_PRIVATE"
        }
        return nil
    }

    /// Whether a URL's host is an IPv4 or IPv6 address rather than a name.
    static func isAddress(_ host: String) -> Bool {
        let text = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var v4 = in_addr(), v6 = in6_addr()
        return text.allSatisfy { $0.isNumber || $0 == "." } || inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// Every address `host` resolves to, as text.
    static func resolve(_ host: String) throws -> [String] {
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &list) == 0 else { throw ResolveError() }
        defer { freeaddrinfo(list) }
        var addresses: [String] = []
        var node = list
        while let entry = node?.pointee {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if let address = entry.ai_addr,
               getnameinfo(address, entry.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                addresses.append(String(cString: buffer))
            }
            node = entry.ai_next
        }
        return addresses
    }

    struct ResolveError: Error {}

    /// Loopback, private, shared (CGNAT), link-local (with the 169.254.169.254 metadata address), unspecified, multicast
    /// and reserved addresses, IPv4 and IPv6 (IPv4-mapped IPv6 judged as IPv4).
    public static func isPrivate(_ address: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return isPrivateIPv4(UInt32(bigEndian: v4.s_addr))
        }
        var v6 = in6_addr()
        let text = address.split(separator: "%").first.map(String.init) ?? address
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return true }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return isPrivateIPv4(UInt32(bytes[12]) << 24 | UInt32(bytes[13]) << 16 | UInt32(bytes[14]) << 8 | UInt32(bytes[15]))
        }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) { return true }                 // :: and ::1
        if bytes[0] & 0xfe == 0xfc { return true }                                // fc00::/7 unique local (fd00:ec2::254 metadata)
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 { return true }            // fe80::/10 link-local
        if bytes[0] == 0xff { return true }                                       // multicast
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8 { return true } // documentation
        return false
    }

    static func isPrivateIPv4(_ a: UInt32) -> Bool {
        func within(_ base: UInt32, _ bits: UInt32) -> Bool { a >> (32 - bits) == base >> (32 - bits) }
        return within(0x0000_0000, 8) || within(0x0A00_0000, 8) || within(0x7F00_0000, 8) || within(0xA9FE_0000, 16)
            || within(0xAC10_0000, 12) || within(0xC0A8_0000, 16) || within(0x6440_0000, 10) || within(0xC000_0000, 24)
            || within(0xC612_0000, 15) || within(0xE000_0000, 4) || within(0xF000_0000, 4)
    }
}
