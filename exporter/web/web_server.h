// The endpoint: over plain HTTP, prometheus-cpp's Exposer serves the
// telemetry path and a CivetWeb request hook answers the rest (WebRoutes);
// with tls_server_config, HttpsServer serves it all.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "web/https_server.h"
#include "web/web_config.h"
#include "web/web_routes.h"

namespace apiscope {

struct WebError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class WebServer {
public:
    // web: basic auth (empty: none); tls: from make_tls_context, or null for
    // plain HTTP; max_connections: connections served at once.
    WebServer(const std::string& listen_address, const std::string& telemetry_path,
              const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables,
              const WebConfig& web = {}, TlsContext tls = nullptr, unsigned max_connections = 4);
    ~WebServer();
    int port() const;

private:
    std::unique_ptr<WebRoutes> routes_;
    std::unique_ptr<prometheus::Exposer> exposer_;
    std::unique_ptr<HttpsServer> https_;
};

// ":9478" (all interfaces) → "9478"; anything else as CivetWeb takes it.
std::string civetweb_listen(const std::string& listen_address);

}  // namespace apiscope
