#include "web/web_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstring>

#include "config/config.h"
#include "metrics/text_writer.h"
#include "version.h"

namespace apiscope {
namespace {

const char* kMetricsType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace

struct ConnectionState {
    std::string address;
    uint64_t requests = 0;
    int fd = -1;
    std::chrono::steady_clock::time_point deadline;  // for the head awaited (the handshake's too)
    bool reaped = false;
};

namespace {

std::string address_key(const sockaddr* sa) {
    char buf[INET6_ADDRSTRLEN] = "";
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof(buf));
    } else if (sa->sa_family == AF_INET6) {
        auto* a6 = &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6)) inet_ntop(AF_INET, &a6->s6_addr[12], buf, sizeof(buf));
        else inet_ntop(AF_INET6, a6, buf, sizeof(buf));
    }
    return buf;
}

// A listening socket for [host]:port; an empty host is every address, IPv6
// and IPv4 on one socket where the host has IPv6.
int listen_on(const std::string& address) {
    auto la = parse_listen_address(address);
    auto fail = [&](const std::string& why) -> int {
        throw WebError("cannot listen on " + address + ": " + why + "; choose another with --web.listen-address");
    };
    addrinfo hints{}, *res = nullptr;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    hints.ai_family = la.host.empty() ? AF_INET6 : AF_UNSPEC;
    std::string port = std::to_string(la.port);
    int rc = getaddrinfo(la.host.empty() ? nullptr : la.host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0 && la.host.empty()) {  // no IPv6 here
        hints.ai_family = AF_INET;
        rc = getaddrinfo(nullptr, port.c_str(), &hints, &res);
    }
    if (rc != 0) return fail(gai_strerror(rc));
    std::string why = "no address";
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        int one = 1, zero = 0;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (ai->ai_family == AF_INET6 && la.host.empty()) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0) {
            freeaddrinfo(res);
            return fd;
        }
        why = errno == EADDRINUSE ? "the address is in use" : strerror(errno);
        close(fd);
    }
    freeaddrinfo(res);
    return fail(why);
}

std::string gzip(const std::string& in) {
    z_stream z{};
    // level 1: a scrape's text shrinks 10-20 times at a fraction of the cost of the default level
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
    std::string out(deflateBound(&z, in.size()), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return rc == Z_STREAM_END ? out : std::string();
}

bool accepts_gzip(MHD_Connection* c) {
    const char* ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    return ae && strcasestr(ae, "gzip");
}

MHD_Result on_request(void* cls, MHD_Connection* c, const char* url, const char* method, const char*,
                      const char*, size_t* upload_size, void** request) {
    static int seen;
    if (!*request) {  // the head: answered on the next call, once any body is read (else MHD closes)
        *request = &seen;
        return MHD_YES;
    }
    if (*upload_size) {  // a body nobody asked for: dropped
        *upload_size = 0;
        return MHD_YES;
    }
    return static_cast<WebServer*>(cls)->answer(c, url, method) ? MHD_YES : MHD_NO;
}

MHD_Result on_accept(void* cls, const sockaddr* addr, socklen_t) {
    return static_cast<WebServer*>(cls)->admit(addr) ? MHD_YES : MHD_NO;
}

void on_completed(void* cls, MHD_Connection* c, void**, MHD_RequestTerminationCode) {
    static_cast<WebServer*>(cls)->answered(c);
}

void on_connection(void* cls, MHD_Connection* c, void** context, MHD_ConnectionNotificationCode what) {
    auto* self = static_cast<WebServer*>(cls);
    if (what == MHD_CONNECTION_NOTIFY_STARTED) self->opened(c, context);
    else self->closed(c, context);
}

}  // namespace

WebServer::WebServer(const std::string& listen_address, const std::string& telemetry_path,
                     std::vector<std::shared_ptr<prometheus::Collectable>> collectables, const WebConfig& web,
                     std::unique_ptr<TlsCredentials> tls, const WebLimits& limits)
    : telemetry_path_(telemetry_path),
      collectables_(std::move(collectables)),
      headers_(web.headers),
      auth_(web.users),
      tls_(std::move(tls)),
      limits_(limits) {
    landing_page_ = "<html><head><title>apiscope</title></head><body><h1>apiscope " +
                    std::string(APISCOPE_VERSION) + "</h1><p>eBPF HTTP API metrics.</p><p><a href=\"" +
                    telemetry_path + "\">Metrics</a> &middot; <a href=\"/healthz\">Health</a></p></body></html>\n";
    int fd = listen_on(listen_address);
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
        port_ = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                               : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | (tls_ ? MHD_USE_TLS : 0);
    // MHD's own bounds sit above ours, so that ours (counted) act first
    std::vector<MHD_OptionItem> opts = {
        {MHD_OPTION_LISTEN_SOCKET, fd, nullptr},
        {MHD_OPTION_CONNECTION_LIMIT, static_cast<intptr_t>(limits_.max_connections + 8), nullptr},
        {MHD_OPTION_CONNECTION_TIMEOUT, static_cast<intptr_t>(limits_.read_timeout_seconds + 1), nullptr},
        {MHD_OPTION_NOTIFY_CONNECTION, reinterpret_cast<intptr_t>(&on_connection), this},
        {MHD_OPTION_NOTIFY_COMPLETED, reinterpret_cast<intptr_t>(&on_completed), this},
    };
    if (tls_) {
        opts.push_back({MHD_OPTION_HTTPS_CERT_CALLBACK, 0, reinterpret_cast<void*>(&TlsCredentials::retrieve)});
        opts.push_back({MHD_OPTION_HTTPS_PRIORITIES, 0, const_cast<char*>(tls_->priorities().c_str())});
    }
    opts.push_back({MHD_OPTION_END, 0, nullptr});
    daemon_ = MHD_start_daemon(flags, 0, on_accept, this, on_request, this, MHD_OPTION_ARRAY, opts.data(),
                               MHD_OPTION_END);
    if (!daemon_) {
        close(fd);
        throw WebError("cannot start the endpoint on " + listen_address +
                       (tls_ ? " (libmicrohttpd without TLS support? install libmicrohttpd12 built with GnuTLS)" : ""));
    }
    reaper_ = std::thread([this] {
        std::unique_lock<std::mutex> lock(stop_mu_);
        while (!stop_cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stop_; })) {
            lock.unlock();
            reap();
            lock.lock();
        }
    });
}

WebServer::~WebServer() {
    {
        std::lock_guard<std::mutex> lock(stop_mu_);
        stop_ = true;
    }
    stop_cv_.notify_all();
    if (reaper_.joinable()) reaper_.join();
    if (daemon_) MHD_stop_daemon(daemon_);
}

void WebServer::reap() {
    auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(deadlines_mu_);
    for (auto* st : waiting_) {
        if (st->reaped || now < st->deadline) continue;
        // MHD sees the end of the stream and closes it; the fd is still
        // MHD's (it is closed after the CLOSED notice, which takes this lock)
        shutdown(st->fd, SHUT_RDWR);
        st->reaped = true;
    }
}

void WebServer::answered(MHD_Connection* c) {
    const auto* ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (!ci || !ci->socket_context) return;
    auto* st = static_cast<ConnectionState*>(ci->socket_context);
    std::lock_guard<std::mutex> lock(deadlines_mu_);  // the next head is awaited from now
    st->deadline = std::chrono::steady_clock::now() + std::chrono::seconds(limits_.read_timeout_seconds);
    waiting_.insert(st);
}

bool WebServer::admit(const void* addr) {
    if (open_ >= limits_.max_connections) {
        refused_[kConnectionLimit]++;
        return false;
    }
    auto it = per_address_.find(address_key(static_cast<const sockaddr*>(addr)));
    if (it != per_address_.end() && it->second >= limits_.max_connections_per_ip) {
        refused_[kAddressLimit]++;
        return false;
    }
    return true;
}

void WebServer::opened(MHD_Connection* c, void** context) {
    auto* st = new ConnectionState;
    if (const auto* ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS))
        st->address = address_key(ci->client_addr);
    if (const auto* ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD)) st->fd = ci->connect_fd;
    st->deadline = std::chrono::steady_clock::now() + std::chrono::seconds(limits_.read_timeout_seconds);
    per_address_[st->address]++;
    open_++;
    *context = st;
    {
        std::lock_guard<std::mutex> lock(deadlines_mu_);
        waiting_.insert(st);
    }
    if (tls_)
        if (const auto* ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION); ci && ci->tls_session)
            tls_->prepare(static_cast<gnutls_session_t>(ci->tls_session));
}

void WebServer::closed(MHD_Connection* c, void** context) {
    auto* st = static_cast<ConnectionState*>(*context);
    if (!st) return;
    {
        std::lock_guard<std::mutex> lock(deadlines_mu_);
        waiting_.erase(st);
    }
    // a connection that served requests and then idled is not refused
    if (st->requests == 0) {
        bool handshake_done = true;
        if (tls_)
            if (const auto* ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION); ci && ci->tls_session)
                handshake_done = gnutls_handshake_get_last_in(static_cast<gnutls_session_t>(ci->tls_session)) ==
                                 GNUTLS_HANDSHAKE_FINISHED;
        refused_[st->reaped ? kHeadTimeout : handshake_done ? kNoRequest : kTlsHandshake]++;
    }
    if (auto it = per_address_.find(st->address); it != per_address_.end() && --it->second == 0) per_address_.erase(it);
    open_--;
    delete st;
    *context = nullptr;
}

int WebServer::reply(MHD_Connection* c, int status, const std::string& type, const std::string& body, bool gzipped,
                     bool challenge) {
    MHD_Response* r = MHD_create_response_from_buffer(body.size(), const_cast<char*>(body.data()),
                                                      MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type.c_str());
    if (gzipped) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    for (const auto& [name, value] : headers_) MHD_add_response_header(r, name.c_str(), value.c_str());
    MHD_Result rc = challenge ? MHD_queue_basic_auth_fail_response(c, "apiscope", r)
                              : MHD_queue_response(c, static_cast<unsigned>(status), r);
    MHD_destroy_response(r);
    by_code_[status]++;
    bytes_ += body.size();
    return rc;
}

int WebServer::answer(MHD_Connection* c, const char* url, const char* method) {
    if (const auto* ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT); ci && ci->socket_context) {
        auto* st = static_cast<ConnectionState*>(ci->socket_context);
        st->requests++;
        std::lock_guard<std::mutex> lock(deadlines_mu_);  // the head is in: no deadline while it is answered
        waiting_.erase(st);
    }
    std::string path = url;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "GET or HEAD\n", false);
    if (path == "/healthz") return reply(c, MHD_HTTP_OK, "text/plain", "ok\n", false);  // probes carry no credentials
    if (auth_.enabled()) {
        char* pass = nullptr;
        char* user = MHD_basic_auth_get_username_password(c, &pass);
        bool ok = user && pass && auth_.check(user, pass);
        if (user) MHD_free(user);
        if (pass) MHD_free(pass);
        if (!ok) {
            refused_[kUnauthorized]++;
            return reply(c, MHD_HTTP_UNAUTHORIZED, "text/plain", "", false, true);
        }
    }
    if (path == "/") return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", landing_page_, false);
    if (path != telemetry_path_) return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", "not found\n", false);
    bool gz = accepts_gzip(c);
    std::string text = metrics_text(&gz);
    return reply(c, MHD_HTTP_OK, kMetricsType, gz ? text : buffer_, gz);
}

std::string WebServer::metrics_text(bool* gz) {
    auto start = std::chrono::steady_clock::now();
    std::vector<prometheus::MetricFamily> families;
    for (const auto& c : collectables_)
        for (auto& f : c->Collect()) families.push_back(std::move(f));
    for (auto& f : own_metrics()) families.push_back(std::move(f));
    buffer_.clear();
    write_text(families, buffer_);
    std::string out;
    if (*gz) {
        out = gzip(buffer_);
        *gz = !out.empty();
    }
    scrapes_++;
    scrape_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
}

std::vector<prometheus::MetricFamily> WebServer::own_metrics() const {
    using prometheus::MetricType;
    auto family = [](const char* name, const char* help, MetricType type) {
        prometheus::MetricFamily f;
        f.name = name, f.help = help, f.type = type;
        return f;
    };
    auto counter = [](prometheus::MetricFamily& f, std::vector<prometheus::ClientMetric::Label> labels, double v) {
        auto& m = f.metric.emplace_back();
        m.label = std::move(labels);
        m.counter.value = v;
    };
    std::vector<prometheus::MetricFamily> out;
    auto requests = family("apiscope_web_requests_total", "Requests to the endpoint answered, by status code.",
                           MetricType::Counter);
    for (const auto& [code, n] : by_code_) counter(requests, {{"code", std::to_string(code)}}, static_cast<double>(n));
    out.push_back(std::move(requests));
    auto refused = family("apiscope_web_requests_rejected_total",
                          "Connections or requests to the endpoint refused, by reason (unauthorized, "
                          "client_certificate, tls_handshake, no_request, connection_limit, address_limit, "
                          "head_timeout).",
                          MetricType::Counter);
    const char* names[kRefusals] = {"unauthorized", "tls_handshake", "no_request", "connection_limit",
                                    "address_limit", "head_timeout"};
    for (int i = 0; i < kRefusals; i++) counter(refused, {{"reason", names[i]}}, static_cast<double>(refused_[i]));
    counter(refused, {{"reason", "client_certificate"}}, tls_ ? static_cast<double>(tls_->client_cert_refusals()) : 0);
    out.push_back(std::move(refused));
    auto bytes = family("apiscope_web_response_bytes_total", "Bytes of responses sent by the endpoint (after gzip).",
                        MetricType::Counter);
    counter(bytes, {}, static_cast<double>(bytes_));
    out.push_back(std::move(bytes));
    auto scrapes = family("apiscope_web_scrapes_total", "Scrapes of the metrics path answered.", MetricType::Counter);
    counter(scrapes, {}, static_cast<double>(scrapes_));
    out.push_back(std::move(scrapes));
    auto secs = family("apiscope_web_scrape_seconds_total",
                       "Time spent collecting, writing and compressing scrapes (before this one).",
                       MetricType::Counter);
    counter(secs, {}, scrape_seconds_);
    out.push_back(std::move(secs));
    auto conns = family("apiscope_web_connections", "Connections to the endpoint open now.", MetricType::Gauge);
    conns.metric.emplace_back().gauge.value = open_;
    out.push_back(std::move(conns));
    if (tls_) {
        auto reloads = family("apiscope_web_tls_reloads_total",
                              "Certificate files reloaded after they changed on disk, by result (failed: the "
                              "certificate in use is kept; the reason is in the log).",
                              MetricType::Counter);
        counter(reloads, {{"result", "ok"}}, static_cast<double>(tls_->reloads()));
        counter(reloads, {{"result", "failed"}}, static_cast<double>(tls_->reload_failures()));
        out.push_back(std::move(reloads));
    }
    return out;
}

}  // namespace apiscope
