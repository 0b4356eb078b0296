// The endpoint over TLS, for tls_server_config. Served here with OpenSSL
// rather than by CivetWeb because the CivetWeb Debian ships resets every
// connection after the TLS handshake with OpenSSL 3. A fixed set of worker
// threads each serve one connection at a time (keep-alive, GET and HEAD).
#pragma once

#include <openssl/ssl.h>
#include <prometheus/collectable.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "web/web_config.h"
#include "web/web_routes.h"

namespace apiscope {

using TlsContext = std::shared_ptr<SSL_CTX>;

// Loads the certificate, key and client CA; throws ConfigError naming the
// file and OpenSSL's reason. Done before anything is attached.
TlsContext make_tls_context(const WebTls& tls);

class HttpsServer {
public:
    // Throws WebError if the address cannot be bound.
    HttpsServer(const std::string& listen_address, TlsContext ctx, const WebRoutes& routes,
                std::vector<std::shared_ptr<prometheus::Collectable>> collectables, unsigned workers);
    ~HttpsServer();
    int port() const { return port_; }

private:
    void work();
    void serve(int fd);
    std::string metrics() const;

    TlsContext ctx_;
    const WebRoutes& routes_;
    std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
    int listen_fd_ = -1, port_ = 0;
    std::atomic<bool> stop_{false};
    std::mutex mu_;
    std::set<int> open_;  // connections being served, shut down on stop
    std::vector<std::thread> workers_;
};

}  // namespace apiscope
