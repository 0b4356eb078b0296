// The HTTP endpoint: prometheus-cpp's Exposer serves the telemetry path; a
// CivetWeb request hook checks basic auth and answers / (a landing page) and
// /healthz.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "web_config.h"

namespace apiscope {

struct WebError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class WebServer {
public:
    // web: basic auth (empty: none); max_requests: requests served at once.
    WebServer(const std::string& listen_address, const std::string& telemetry_path,
              const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables,
              const WebConfig& web = {}, unsigned max_requests = 4);
    ~WebServer();
    int port() const;

private:
    std::unique_ptr<prometheus::Exposer> exposer_;
};

// Requests refused so far for wrong or missing credentials.
uint64_t web_unauthorized();

// ":9478" (all interfaces) → "9478"; anything else as CivetWeb takes it.
std::string civetweb_listen(const std::string& listen_address);

}  // namespace apiscope
