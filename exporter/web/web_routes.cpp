#include "web/web_routes.h"

#include <strings.h>

#include <atomic>

#include "version.h"

namespace apiscope {
namespace {

std::atomic<uint64_t> g_rejected[3];

std::string base64_decode(const std::string& in) {
    static const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    int val = 0, bits = -8;
    for (char c : in) {
        auto pos = chars.find(c);
        if (pos == std::string::npos) break;  // '=' padding or junk ends it
        val = (val << 6) + static_cast<int>(pos);
        bits += 6;
        if (bits >= 0) {
            out += static_cast<char>((val >> bits) & 0xFF);
            bits -= 8;
        }
    }
    return out;
}

const char* reason_phrase(int status) {
    switch (status) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 431: return "Request Header Fields Too Large";
        default: return "Error";
    }
}

}  // namespace

void web_count_rejected(Rejected why) { g_rejected[static_cast<int>(why)]++; }
uint64_t web_rejected(Rejected why) { return g_rejected[static_cast<int>(why)]; }

WebReply web_reply(int status, const std::string& content_type, const std::string& body,
                   const std::string& extra_headers) {
    return {status, extra_headers + "Content-Type: " + content_type + "\r\n", body};
}

std::string WebReply::wire(bool keep_alive, bool head_only) const {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n" + headers +
                      "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: " +
                      (keep_alive ? "keep-alive" : "close") + "\r\n\r\n";
    if (!head_only) out += body;
    return out;
}

WebRoutes::WebRoutes(const WebConfig& web, const std::string& telemetry_path)
    : web_(web), telemetry_path_(telemetry_path) {
    landing_page_ = "<html><head><title>apiscope</title></head><body><h1>apiscope " +
                    std::string(APISCOPE_VERSION) + "</h1><p>eBPF HTTP API metrics.</p><p><a href=\"" +
                    telemetry_path + "\">Metrics</a> &middot; <a href=\"/healthz\">Health</a></p></body></html>\n";
}

bool WebRoutes::authorized(const char* h) const {
    if (!h || strncasecmp(h, "Basic ", 6) != 0) return false;
    std::string pair = base64_decode(h + 6);
    auto colon = pair.find(':');
    if (colon == std::string::npos) return false;
    auto it = web_.users.find(pair.substr(0, colon));
    return it != web_.users.end() && password_matches(pair.substr(colon + 1), it->second);
}

std::optional<WebReply> WebRoutes::route(const std::string& path, const char* authorization) const {
    if (path == "/healthz") return web_reply(200, "text/plain", "ok\n");  // probes carry no credentials
    if (!web_.users.empty() && !authorized(authorization)) {
        web_count_rejected(Rejected::Unauthorized);
        return web_reply(401, "text/plain", "", "WWW-Authenticate: Basic realm=\"apiscope\"\r\n");
    }
    if (path == "/") return web_reply(200, "text/html; charset=utf-8", landing_page_);
    return std::nullopt;
}

}  // namespace apiscope
