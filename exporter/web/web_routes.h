// What the endpoint answers besides the metrics themselves, shared by the
// plain HTTP server (CivetWeb) and the HTTPS one: basic auth, the landing
// page and /healthz, and the count of requests refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "web/web_config.h"

namespace apiscope {

struct WebReply {
    int status;
    std::string headers;  // each ending in CRLF
    std::string body;
    // Status line, headers, Content-Length, Connection, and the body unless
    // the request was HEAD.
    std::string wire(bool keep_alive, bool head_only = false) const;
};

class WebRoutes {
public:
    WebRoutes(const WebConfig& web, const std::string& telemetry_path);
    // A reply for `path`, or none when the metrics should be served.
    // `authorization` is the Authorization header (null when absent).
    std::optional<WebReply> route(const std::string& path, const char* authorization) const;
    const std::string& telemetry_path() const { return telemetry_path_; }

private:
    bool authorized(const char* authorization) const;
    WebConfig web_;
    std::string telemetry_path_, landing_page_;
};

// Requests refused so far, by reason.
enum class Rejected { Unauthorized, TlsHandshake, NoRequest };
void web_count_rejected(Rejected why);
uint64_t web_rejected(Rejected why);

WebReply web_reply(int status, const std::string& content_type, const std::string& body,
                   const std::string& extra_headers = "");

}  // namespace apiscope
