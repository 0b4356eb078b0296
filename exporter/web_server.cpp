#include "web_server.h"

#include <CivetServer.h>
#include <civetweb.h>

#include <atomic>
#include <cstring>
#include <map>

#include "version.h"

namespace apiscope {
namespace {

// Set once before the server starts, read by CivetWeb threads only.
std::string g_landing_page;
std::map<std::string, std::string> g_users;  // basic auth: name -> bcrypt hash
std::atomic<uint64_t> g_unauthorized{0};

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

bool authorized(struct mg_connection* conn) {
    const char* h = mg_get_header(conn, "Authorization");
    if (!h || strncasecmp(h, "Basic ", 6) != 0) return false;
    std::string pair = base64_decode(h + 6);
    auto colon = pair.find(':');
    if (colon == std::string::npos) return false;
    auto it = g_users.find(pair.substr(0, colon));
    return it != g_users.end() && password_matches(pair.substr(colon + 1), it->second);
}

int begin_request(struct mg_connection* conn) {
    const mg_request_info* ri = mg_get_request_info(conn);
    const char* uri = ri->local_uri ? ri->local_uri : "";
    if (!g_users.empty() && strcmp(uri, "/healthz") != 0 && !authorized(conn)) {
        g_unauthorized++;
        mg_printf(conn,
                  "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"apiscope\"\r\n"
                  "Content-Length: 0\r\nConnection: close\r\n\r\n");
        return 401;
    }
    if (strcmp(uri, "/healthz") == 0) {
        mg_printf(conn,
                  "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
                  "Connection: close\r\n\r\nok\n");
        return 200;
    }
    if (strcmp(uri, "/") == 0) {
        mg_printf(conn,
                  "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                  "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                  g_landing_page.size(), g_landing_page.c_str());
        return 200;
    }
    return 0;  // the Exposer's handlers take it
}

}  // namespace

uint64_t web_unauthorized() { return g_unauthorized; }

std::string civetweb_listen(const std::string& listen_address) {
    if (!listen_address.empty() && listen_address[0] == ':') return listen_address.substr(1);
    return listen_address;
}



WebServer::WebServer(const std::string& listen_address, const std::string& telemetry_path,
                     const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables,
                     const WebConfig& web, unsigned max_requests) {
    g_landing_page = "<html><head><title>apiscope</title></head><body><h1>apiscope " +
                     std::string(APISCOPE_VERSION) +
                     "</h1><p>eBPF HTTP API metrics.</p><p><a href=\"" + telemetry_path +
                     "\">Metrics</a> &middot; <a href=\"/healthz\">Health</a></p></body></html>\n";
    g_users = web.users;
    static CivetCallbacks callbacks;  // zeroed by its constructor
    callbacks.begin_request = begin_request;
    // num_threads bounds the requests served at once
    std::vector<std::string> options = {"listening_ports", civetweb_listen(listen_address), "num_threads",
                                        std::to_string(max_requests)};
    try {
        exposer_ = std::make_unique<prometheus::Exposer>(options, &callbacks);
    } catch (const std::exception& e) {
        throw WebError("cannot listen on " + listen_address +
                       ": the address is in use or not available; choose another with "
                       "--web.listen-address");
    }
    for (const auto& c : collectables) exposer_->RegisterCollectable(c, telemetry_path);
}

WebServer::~WebServer() = default;

int WebServer::port() const {
    auto ports = exposer_->GetListeningPorts();
    return ports.empty() ? 0 : ports.front();
}

}  // namespace apiscope
