#include "web_server.h"

#include <CivetServer.h>
#include <civetweb.h>

#include <cstring>

#include "version.h"

namespace apiscope {
namespace {

// Set once before the server starts, read by CivetWeb threads only.
std::string g_landing_page;

int begin_request(struct mg_connection* conn) {
    const mg_request_info* ri = mg_get_request_info(conn);
    const char* uri = ri->local_uri ? ri->local_uri : "";
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

std::string civetweb_listen(const std::string& listen_address) {
    if (!listen_address.empty() && listen_address[0] == ':') return listen_address.substr(1);
    return listen_address;
}

WebServer::WebServer(const std::string& listen_address, const std::string& telemetry_path,
                     const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables) {
    g_landing_page = "<html><head><title>apiscope</title></head><body><h1>apiscope " +
                     std::string(APISCOPE_VERSION) +
                     "</h1><p>eBPF HTTP API metrics.</p><p><a href=\"" + telemetry_path +
                     "\">Metrics</a> &middot; <a href=\"/healthz\">Health</a></p></body></html>\n";
    static CivetCallbacks callbacks;  // zeroed by its constructor
    callbacks.begin_request = begin_request;
    try {
        exposer_ = std::make_unique<prometheus::Exposer>(
            std::vector<std::string>{"listening_ports", civetweb_listen(listen_address),
                                     "num_threads", "4"},
            &callbacks);
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
