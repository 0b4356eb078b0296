// The endpoint, over HTTP or HTTPS, served by libmicrohttpd on one event
// loop: /metrics (gzip when asked), / and /healthz, basic auth, response
// headers from the web config. Idle connections, heads sent a byte at a
// time and stalled TLS handshakes hold a connection slot, never the loop;
// bounds on connections in total and per client address, and a deadline for
// the handshake and each request head, keep them from starving a scraper.
// Its own metrics (apiscope_web_*) come with every scrape.
#pragma once

#include <prometheus/collectable.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "web/basic_auth.h"
#include "web/tls_credentials.h"
#include "web/web_config.h"

struct MHD_Daemon;
struct MHD_Connection;

namespace apiscope {

struct WebError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct WebLimits {
    unsigned max_connections = 64;         // open at once
    unsigned max_connections_per_ip = 16;  // open at once from one client address
    unsigned read_timeout_seconds = 10;    // for the handshake and each request head; and silence
};

struct ConnectionState;

class WebServer {
public:
    // tls: null for plain HTTP. Throws WebError if the address cannot be bound.
    WebServer(const std::string& listen_address, const std::string& telemetry_path,
              std::vector<std::shared_ptr<prometheus::Collectable>> collectables, const WebConfig& web,
              std::unique_ptr<TlsCredentials> tls, const WebLimits& limits);
    ~WebServer();
    WebServer(const WebServer&) = delete;
    WebServer& operator=(const WebServer&) = delete;
    int port() const { return port_; }

    // One reply; MHD calls these (public for its C callbacks).
    int answer(MHD_Connection* c, const char* url, const char* method);
    bool admit(const void* addr);
    void opened(MHD_Connection* c, void** context);
    void closed(MHD_Connection* c, void** context);
    void answered(MHD_Connection* c);

private:
    enum Refusal { kUnauthorized, kTlsHandshake, kNoRequest, kConnectionLimit, kAddressLimit, kHeadTimeout,
                   kRefusals };
    // Shuts down connections whose handshake or head is past its deadline
    // (MHD's own timeout counts silence only: a byte now and then resets it).
    void reap();
    int reply(MHD_Connection* c, int status, const std::string& type, const std::string& body, bool gzip_ok,
              bool challenge = false);
    std::string metrics_text(bool* gzip);
    std::vector<prometheus::MetricFamily> own_metrics() const;

    std::string telemetry_path_, landing_page_;
    std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
    std::map<std::string, std::string> headers_;
    BasicAuth auth_;
    std::unique_ptr<TlsCredentials> tls_;
    WebLimits limits_;
    MHD_Daemon* daemon_ = nullptr;
    int port_ = 0;
    // all of it touched by MHD's one thread, read by scrapes on that thread too
    std::map<std::string, unsigned> per_address_;
    unsigned open_ = 0;
    std::string buffer_;  // the text of the last scrape, reused
    std::map<int, uint64_t> by_code_;
    std::array<uint64_t, kRefusals> refused_{};
    uint64_t bytes_ = 0, scrapes_ = 0;
    double scrape_seconds_ = 0;
    std::mutex deadlines_mu_;  // the connections waiting for a head, read by the reaper
    std::set<ConnectionState*> waiting_;
    bool stop_ = false;
    std::mutex stop_mu_;
    std::condition_variable stop_cv_;  // wakes the reaper at once at exit
    std::thread reaper_;
};

}  // namespace apiscope
