// The HTTP endpoint: prometheus-cpp's Exposer serves the telemetry path; a
// CivetWeb request hook answers / (a landing page) and /healthz.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace apiscope {

struct WebError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class WebServer {
public:
    WebServer(const std::string& listen_address, const std::string& telemetry_path,
              const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables);
    ~WebServer();
    int port() const;

private:
    std::unique_ptr<prometheus::Exposer> exposer_;
};

// ":9478" (all interfaces) → "9478"; anything else as CivetWeb takes it.
std::string civetweb_listen(const std::string& listen_address);

}  // namespace apiscope
