import Crypto
import HTTPTypes
import Hummingbird
import NIOCore

/// The stylesheet and script, each served under a name holding a hash of its bytes (`/static/app.3f9c….css`) and cached
/// for a year: a new release changes the name, so browsers never keep a stale copy and never ask twice for a current one.
enum StaticAssets {
    struct Asset: Sendable {
        let path: String
        let bytes: [UInt8]
        let type: String
    }

    static let css = asset("app", "css", PackageResources.app_css, type: "text/css; charset=utf-8")
    static let js = asset("app", "js", PackageResources.app_js, type: "text/javascript; charset=utf-8")

    private static func asset(_ name: String, _ ext: String, _ bytes: [UInt8], type: String) -> Asset {
        let hash = SHA256.hash(data: bytes).prefix(6).lowercaseHex
        return Asset(path: "/static/\(name).\(hash).\(ext)", bytes: bytes, type: type)
    }

    static func addRoutes(to router: Router<AppRequestContext>) {
        for asset in [css, js] {
            router.get(RouterPath(asset.path)) { _, _ in response(asset, cache: "public, max-age=31536000, immutable") }
        }
        // The plain names stay for anything that still links them (an old page in a tab), revalidated after an hour.
        router.get("static/app.css") { _, _ in response(css, cache: "public, max-age=3600") }
        router.get("static/app.js") { _, _ in response(js, cache: "public, max-age=3600") }
    }

    private static func response(_ asset: Asset, cache: String) -> Response {
        Response(status: .ok, headers: [.contentType: asset.type, .cacheControl: cache], body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}

/// Validators for the larger reads (the backlog, Top 5, the home page): a weak ETag made from the body's bytes, and a
/// 304 with no body when the client already holds them (`If-None-Match`), so a reload sends no page over the wire.
enum Revalidation {
    static func response(_ bytes: [UInt8], contentType: String, request: Request, headers extra: HTTPFields = [:]) -> Response {
        let tag = "W/\"" + String(bodyHash(bytes), radix: 16) + "\""
        var headers = extra
        headers[.eTag] = tag
        headers[.cacheControl] = "private, no-cache"
        headers[.vary] = "Cookie, Authorization"
        if let held = request.headers[.ifNoneMatch], matches(held, tag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// A 64-bit hash of the body, 32 bytes at a step in four lanes that do not wait for each other (one lane was 3% of
    /// the backlog of 200's server CPU; SHA-256 of a 100 KB backlog was a twentieth of its read). A weak ETag needs no
    /// resistance to forgery, only that two bodies a client sees in turn differ, and it is the same in every server
    /// process (no random seed), so a reload through another process still gets its 304.
    static func bodyHash(_ bytes: [UInt8]) -> UInt64 {
        let multiplier: UInt64 = 0xFF51_AFD7_ED55_8CCD
        var lanes: (UInt64, UInt64, UInt64, UInt64) = (0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count), 0xC2B2_AE3D_27D4_EB4F,
                                                       0x1656_67B1_9E37_79F9, 0x27D4_EB2F_1656_67C5)
        var hash: UInt64 = 0
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset + 32 <= raw.count {
                lanes.0 = (lanes.0 ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* multiplier
                lanes.1 = (lanes.1 ^ raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)) &* multiplier
                lanes.2 = (lanes.2 ^ raw.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)) &* multiplier
                lanes.3 = (lanes.3 ^ raw.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self)) &* multiplier
                lanes.0 ^= lanes.0 >> 32
                lanes.1 ^= lanes.1 >> 32
                lanes.2 ^= lanes.2 >> 32
                lanes.3 ^= lanes.3 >> 32
                offset += 32
            }
            hash = ((lanes.0 &* 31 ^ lanes.1) &* 31 ^ lanes.2) &* 31 ^ lanes.3
            while offset < raw.count {
                hash = (hash ^ UInt64(raw[offset])) &* 0xC4CE_B9FE_1A85_EC53
                offset += 1
            }
        }
        hash ^= hash >> 33
        hash = hash &* multiplier
        return hash ^ (hash >> 29)
    }

    /// `If-None-Match` is `*` or a list of tags; weak comparison, as RFC 9110 asks for GET.
    static func matches(_ header: String, _ tag: String) -> Bool {
        let opaque = { (tag: Substring) in tag.hasPrefix("W/") ? tag.dropFirst(2) : tag }
        return header.split(separator: ",").contains { candidate in
            let candidate = candidate.trimmingCharacters(in: .whitespaces)
            return candidate == "*" || opaque(Substring(candidate)) == opaque(Substring(tag))
        }
    }
}
