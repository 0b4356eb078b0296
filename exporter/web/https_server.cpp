#include "web/https_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <prometheus/text_serializer.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <sstream>

#include "config/config.h"
#include "web/web_server.h"

namespace apiscope {
namespace {

constexpr size_t kMaxHead = 16384;
constexpr int kIdleSeconds = 10;  // a client that stalls gives its worker back

std::string openssl_reason() {
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (!e) return "unknown reason";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    return buf;
}

// The value of header `name` in a request head, if present.
std::optional<std::string> header(const std::string& head, const char* name) {
    size_t n = strlen(name), pos = head.find("\r\n");
    while (pos != std::string::npos) {
        size_t line = pos + 2, end = head.find("\r\n", line);
        std::string_view l(head.data() + line, (end == std::string::npos ? head.size() : end) - line);
        if (l.size() > n && l[n] == ':' && strncasecmp(l.data(), name, n) == 0) {
            auto v = l.substr(n + 1);
            while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
            while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
            return std::string(v);
        }
        pos = end;
    }
    return std::nullopt;
}

bool write_all(SSL* ssl, const std::string& s) {
    size_t done = 0;
    while (done < s.size()) {
        int n = SSL_write(ssl, s.data() + done, static_cast<int>(s.size() - done));
        if (n <= 0) return false;
        done += static_cast<size_t>(n);
    }
    return true;
}

}  // namespace

TlsContext make_tls_context(const WebTls& tls) {
    TlsContext ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
    auto fail = [](const std::string& what) {
        throw ConfigError("--web.config.file: tls_server_config: " + what + " (" + openssl_reason() + ")");
    };
    if (!ctx) fail("cannot create a TLS context");
    SSL_CTX_set_min_proto_version(ctx.get(), tls.min_version ? tls.min_version : TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert_file.c_str()) != 1)
        fail("cert_file " + tls.cert_file + " is not a PEM certificate");
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1)
        fail("key_file " + tls.key_file +
             (ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH
                  ? " does not belong to cert_file " + tls.cert_file
                  : " is not a PEM private key without a passphrase"));
    if (tls.verify_client_cert) {
        if (SSL_CTX_load_verify_locations(ctx.get(), tls.client_ca_file.c_str(), nullptr) != 1)
            fail("client_ca_file " + tls.client_ca_file + " is not a PEM CA certificate");
        SSL_CTX_set_client_CA_list(ctx.get(), SSL_load_client_CA_file(tls.client_ca_file.c_str()));
        SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | (tls.require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                           nullptr);
    }
    return ctx;
}

HttpsServer::HttpsServer(const std::string& listen_address, TlsContext ctx, const WebRoutes& routes,
                         std::vector<std::shared_ptr<prometheus::Collectable>> collectables, unsigned workers)
    : ctx_(std::move(ctx)), routes_(routes), collectables_(std::move(collectables)) {
    auto [host, port_number] = parse_listen_address(listen_address);
    std::string port = std::to_string(port_number);
    addrinfo hints{}, *res = nullptr;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    hints.ai_family = host.empty() ? AF_INET : AF_UNSPEC;  // ":port" is every IPv4 address, as over HTTP
    hints.ai_socktype = SOCK_STREAM;
    auto cannot = [&](const std::string& why) {
        return WebError("cannot listen on " + listen_address + ": " + why + "; choose another with --web.listen-address");
    };
    if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res); rc != 0)
        throw cannot(gai_strerror(rc));
    listen_fd_ = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    bool ok = listen_fd_ >= 0 && bind(listen_fd_, res->ai_addr, res->ai_addrlen) == 0 && listen(listen_fd_, 64) == 0;
    freeaddrinfo(res);
    if (!ok) {
        std::string why = strerror(errno);
        if (listen_fd_ >= 0) close(listen_fd_);
        throw cannot(why);
    }
    sockaddr_storage sa{};
    socklen_t len = sizeof(sa);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&sa)->sin6_port
                                           : reinterpret_cast<sockaddr_in*>(&sa)->sin_port);
    for (unsigned i = 0; i < workers; i++) workers_.emplace_back([this] { work(); });
}

HttpsServer::~HttpsServer() {
    stop_ = true;
    shutdown(listen_fd_, SHUT_RDWR);  // wakes the workers blocked in accept
    {
        std::lock_guard<std::mutex> g(mu_);
        for (int fd : open_) shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : workers_) t.join();
    close(listen_fd_);
}

void HttpsServer::work() {
    while (!stop_) {
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) usleep(100000);
            continue;
        }
        {
            std::lock_guard<std::mutex> g(mu_);
            if (stop_) {
                close(fd);
                break;
            }
            open_.insert(fd);
        }
        serve(fd);
        std::lock_guard<std::mutex> g(mu_);
        open_.erase(fd);
        close(fd);
    }
}

void HttpsServer::serve(int fd) {
    timeval tv{kIdleSeconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    // A TLS client opens with a handshake record (0x16); a letter is a plain
    // HTTP request, which gets told what to do instead of a reset.
    char first = 0;
    if (recv(fd, &first, 1, MSG_PEEK) != 1) {  // closed or idle before sending anything
        web_count_rejected(Rejected::NoRequest);
        return;
    }
    if (first >= 'A' && first <= 'Z') {
        web_count_rejected(Rejected::TlsHandshake);
        auto wire = web_reply(400, "text/plain", "this endpoint is HTTPS: use https://\n").wire(false);
        send(fd, wire.data(), wire.size(), MSG_NOSIGNAL);
        return;
    }
    std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx_.get()), SSL_free);
    if (!ssl || SSL_set_fd(ssl.get(), fd) != 1) return;
    if (SSL_accept(ssl.get()) != 1) {  // plain HTTP, a wrong or missing client certificate
        web_count_rejected(Rejected::TlsHandshake);
        ERR_clear_error();
        return;
    }
    std::string buf;
    for (bool keep_alive = true; keep_alive && !stop_;) {
        size_t end;
        while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
            if (buf.size() > kMaxHead) {
                write_all(ssl.get(), web_reply(431, "text/plain", "request head too large\n").wire(false));
                return;
            }
            char tmp[4096];
            int n = SSL_read(ssl.get(), tmp, sizeof(tmp));
            if (n <= 0) {
                ERR_clear_error();
                return;  // closed, idle too long, or not TLS any more
            }
            buf.append(tmp, static_cast<size_t>(n));
        }
        std::string head = buf.substr(0, end);
        buf.erase(0, end + 4);
        std::istringstream line(head.substr(0, head.find("\r\n")));
        std::string method, target, version;
        line >> method >> target >> version;
        auto connection = header(head, "Connection");
        keep_alive = version == "HTTP/1.1" ? !(connection && strcasecmp(connection->c_str(), "close") == 0)
                                           : (connection && strcasecmp(connection->c_str(), "keep-alive") == 0);
        std::optional<WebReply> reply;
        if (method != "GET" && method != "HEAD") {
            reply = web_reply(405, "text/plain", "only GET and HEAD\n", "Allow: GET, HEAD\r\n");
            keep_alive = false;
        } else if (header(head, "Content-Length").value_or("0") != "0" || header(head, "Transfer-Encoding")) {
            reply = web_reply(400, "text/plain", "a request body is not expected\n");
            keep_alive = false;
        } else {
            std::string path = target.substr(0, target.find('?'));
            auto auth = header(head, "Authorization");
            reply = routes_.route(path, auth ? auth->c_str() : nullptr);
            if (!reply && path == routes_.telemetry_path())
                reply = web_reply(200, "text/plain; version=0.0.4; charset=utf-8", metrics());
            else if (!reply)
                reply = web_reply(404, "text/plain", "not found\n");
        }
        if (!write_all(ssl.get(), reply->wire(keep_alive, method == "HEAD"))) return;
    }
    SSL_shutdown(ssl.get());
}

std::string HttpsServer::metrics() const {
    std::vector<prometheus::MetricFamily> families;
    for (const auto& c : collectables_)
        for (auto& f : c->Collect()) families.push_back(std::move(f));
    return prometheus::TextSerializer().Serialize(families);
}

}  // namespace apiscope
