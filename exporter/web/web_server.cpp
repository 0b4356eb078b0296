#include "web/web_server.h"

#include <CivetServer.h>
#include <civetweb.h>

#include <cstring>

namespace apiscope {
namespace {

const WebRoutes* g_routes;  // set before CivetWeb starts, read by its threads

int begin_request(struct mg_connection* conn) {
    const mg_request_info* ri = mg_get_request_info(conn);
    auto reply = g_routes->route(ri->local_uri ? ri->local_uri : "", mg_get_header(conn, "Authorization"));
    if (!reply) return 0;  // the Exposer's handlers take it
    auto wire = reply->wire(false, strcmp(ri->request_method, "HEAD") == 0);
    mg_write(conn, wire.data(), wire.size());
    return reply->status;
}

}  // namespace

std::string civetweb_listen(const std::string& listen_address) {
    if (!listen_address.empty() && listen_address[0] == ':') return listen_address.substr(1);
    return listen_address;
}

WebServer::WebServer(const std::string& listen_address, const std::string& telemetry_path,
                     const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables,
                     const WebConfig& web, TlsContext tls, unsigned max_connections)
    : routes_(std::make_unique<WebRoutes>(web, telemetry_path)) {
    if (tls) {
        https_ = std::make_unique<HttpsServer>(listen_address, std::move(tls), *routes_, collectables, max_connections);
        return;
    }
    g_routes = routes_.get();
    static CivetCallbacks callbacks;  // zeroed by its constructor
    callbacks.begin_request = begin_request;
    // num_threads bounds the connections served at once
    std::vector<std::string> options = {"listening_ports", civetweb_listen(listen_address), "num_threads",
                                        std::to_string(max_connections)};
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
    if (https_) return https_->port();
    auto ports = exposer_->GetListeningPorts();
    return ports.empty() ? 0 : ports.front();
}

}  // namespace apiscope
