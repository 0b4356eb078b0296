#include "http2/h2_collector.h"

#include <bpf/libbpf.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <optional>
#include <type_traits>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kernel/kernel_route.h"
#include "metrics/labels.h"

namespace apiscope {
namespace {

constexpr int kTickMs = 200;
// Under load the ring is drained every few ms: a tick's worth of records at
// tens of thousands of requests a second would not fit in it.
constexpr int kBusyTickMs = 5;
constexpr int kBusyRecords = 256;  // a drain that found this many: busy
constexpr uint64_t kIdleNs = 300ULL * 1000000000ULL;  // a connection silent this long is checked for
// Distinct label inputs remembered (past it they are all forgotten, and made
// again as requests come): bounded like the series, whatever the traffic.
constexpr size_t kMaxHttpSeries = 65536;

uint64_t monotonic_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000ULL + ts.tv_nsec;
}

const std::string* field(const std::vector<HeaderField>& fields, std::string_view name) {
    for (const auto& f : fields)
        if (f.name == name) return &f.value;
    return nullptr;
}

bool starts_with(const std::string* s, std::string_view prefix) { return s && s->rfind(prefix, 0) == 0; }

// gRPC status names (https://grpc.github.io/grpc/core/md_doc_statuscodes.html).
std::string grpc_status_name(const std::string& code) {
    static const char* names[] = {"OK",        "CANCELLED",          "UNKNOWN",          "INVALID_ARGUMENT",
                                  "DEADLINE_EXCEEDED", "NOT_FOUND",  "ALREADY_EXISTS",   "PERMISSION_DENIED",
                                  "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
                                  "UNIMPLEMENTED", "INTERNAL",        "UNAVAILABLE",      "DATA_LOSS",
                                  "UNAUTHENTICATED"};
    if (code.empty() || code.size() > 2 || code.find_first_not_of("0123456789") != std::string::npos)
        return "UNKNOWN";
    size_t n = std::stoul(code);
    return n < sizeof(names) / sizeof(names[0]) ? names[n] : "UNKNOWN";
}

// What a gRPC client reports for a response without grpc-status (the gRPC
// spec's HTTP to gRPC status mapping) and for a reset stream (its HTTP/2
// error code mapping).
std::string grpc_status_of_http(const std::string& status) {
    if (status == "400") return "INTERNAL";
    if (status == "401") return "UNAUTHENTICATED";
    if (status == "403") return "PERMISSION_DENIED";
    if (status == "404") return "UNIMPLEMENTED";
    if (status == "429" || status == "502" || status == "503" || status == "504") return "UNAVAILABLE";
    return "UNKNOWN";
}

std::string grpc_status_of_reset(uint32_t code) {
    if (code == 0x7) return "UNAVAILABLE";        // REFUSED_STREAM
    if (code == 0x8) return "CANCELLED";          // CANCEL
    if (code == 0xb) return "RESOURCE_EXHAUSTED";  // ENHANCE_YOUR_CALM
    if (code == 0xc) return "PERMISSION_DENIED";  // INADEQUATE_SECURITY
    return "INTERNAL";
}

const char* loss_reason(TableLoss l) {
    switch (l) {
    case TableLoss::Midstream: return "attached_mid_connection";
    case TableLoss::Lost: return "records_lost";
    case TableLoss::TooLarge: return "table_too_large";
    case TableLoss::DecodeError: return "decode_error";
    case TableLoss::Untracked: return "connections_full";
    default: return "none";
    }
}

// The headers of one side in a capture's layout, as the kernel fills it for
// HTTP/1: the same names (the capture list), values joined as repeated
// headers are, cut at value_max, secrets in drop mode never copied.
bool capture(as_hdr_vals& v, const as_capture_cfg& cfg, int dir, const std::vector<HeaderField>& fields) {
    v.present = v.truncated = 0;
    v.path_len = 0;
    v.path_trunc = 0;
    for (unsigned k = 0; k < cfg.n[dir] && k < AS_MAX_HDRS; k++) {
        const auto& h = cfg.hdr[dir][k];
        std::string_view name(h.name, strnlen(h.name, h.len));
        std::string value;
        bool seen = false;
        for (const auto& f : fields) {
            if (f.name != name) continue;
            if (seen) value += name == "cookie" ? "; " : ", ";
            value += f.value;
            seen = true;
        }
        if (!seen) continue;
        v.present |= 1u << k;
        v.len[k] = 0;
        if (h.flags & AS_HDR_PRESENCE_ONLY) continue;
        size_t max = std::min<size_t>(cfg.value_max, AS_HDR_VAL_MAX);
        if (value.size() > max) {
            value.resize(max);
            v.truncated |= 1u << k;
        }
        memcpy(v.val[k], value.data(), value.size());
        v.len[k] = value.size();
    }
    if (dir == 0)
        if (const std::string* path = field(fields, ":path")) {
            size_t n = std::min<size_t>(path->size(), AS_PATH_MAX);
            memcpy(v.path, path->data(), n);
            v.path_len = n;
            v.path_trunc = path->size() > AS_PATH_MAX;
        }
    return !fields.empty();
}

// The fields this collector reads: the rest of a header block need not be
// decoded (only what changes the table is).
std::vector<std::string> wanted_fields(const as_capture_cfg& cap, const std::vector<HeaderLabel>& labels) {
    std::vector<std::string> w = {":method",     ":path",          ":status",
                                  "content-type", "grpc-status",    "mcp-session-id",
                                  "mcp-protocol-version"};
    auto add = [&](std::string n) {
        if (std::find(w.begin(), w.end(), n) == w.end()) w.push_back(std::move(n));
    };
    for (int dir = 0; dir < 2; dir++)
        for (unsigned k = 0; k < cap.n[dir] && k < AS_MAX_HDRS; k++)
            add(std::string(cap.hdr[dir][k].name, strnlen(cap.hdr[dir][k].name, cap.hdr[dir][k].len)));
    for (const auto& l : labels) add(l.header);
    return w;
}

}  // namespace

H2Collector::H2Collector(const BpfProgram* bpf, const Config& cfg, RouteTable& routes, UserSeries& series,
                         AccessLog* log, GenaiCollector* genai, WorkloadMeta* meta)
    : bpf_(bpf),
      cfg_(cfg),
      routes_(routes),
      series_(series),
      log_(log),
      genai_(genai),
      meta_(meta),
      genai_routes_(genai ? genai_route_table(cfg.genai) : std::vector<GenaiRouteInfo>{}),
      capture_(capture_rodata(cfg)),
      labels_(apiscope::header_labels(cfg)),
      bounds_(KernelBounds::of(cfg)),
      tracker_(cfg.http2.max_connections, cfg.http2.max_table_bytes, [this](H2Exchange&& x) { handle(std::move(x)); },
               [bpf](uint32_t tgid, uint32_t fd, uint64_t conn, uint32_t stream) {
                   return bpf ? bpf->take_h2_stream(tgid, fd, conn, stream) : std::nullopt;
               },
               wanted_fields(capture_, labels_)),
      rpc_methods_(cfg.routes_max_per_service),
      label_values_(cfg.headers.max_label_values),
      registry_(std::make_shared<prometheus::Registry>()) {
    for (int c = 0; c < 2; c++)
        rpc_duration_[c] = &prometheus::BuildHistogram()
                                .Name(c ? "rpc_client_call_duration_seconds" : "rpc_server_call_duration_seconds")
                                .Help(c ? "Duration of outgoing RPCs (gRPC), to the end of the response stream."
                                        : "Duration of incoming RPCs (gRPC), to the end of the response stream.")
                                .Register(*registry_);
    if (!bpf_) return;
    rb_ = ring_buffer__new(
        bpf_->h2_events_fd(),
        [](void* ctx, void* data, size_t size) {
            static_cast<H2Collector*>(ctx)->tracker_.record(data, size);
            return 0;
        },
        this, nullptr);
    if (!rb_) throw BpfError(std::string("HTTP/2: reading the kernel ring buffer failed: ") + strerror(errno));
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event ring{EPOLLIN, {}}, stop{EPOLLIN, {}};
    if (epoll_fd_ < 0 || stop_fd_ < 0 || epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, ring_buffer__epoll_fd(rb_), &ring) ||
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_fd_, &stop))
        throw BpfError(std::string("HTTP/2: waiting on the kernel ring buffer failed: ") + strerror(errno));
    thread_ = std::thread([this] { run(); });
}

H2Collector::~H2Collector() {
    stop_ = true;
    uint64_t one = 1;
    if (stop_fd_ >= 0 && write(stop_fd_, &one, sizeof(one)) < 0) {
        // the thread still ends at its next tick
    }
    if (thread_.joinable()) thread_.join();
    if (rb_) ring_buffer__free(rb_);
    for (int fd : {epoll_fd_, stop_fd_})
        if (fd >= 0) close(fd);
}

void H2Collector::run() {
    uint64_t next_sweep = monotonic_ns() + kIdleNs;
    epoll_event ev[2];
    int tick = kTickMs;
    while (!stop_) {
        // the timer, or the kernel's wake-up when the ring is half full, or the stop
        epoll_wait(epoll_fd_, ev, 2, tick);
        if (stop_) break;
        tick = drain() >= kBusyRecords ? kBusyTickMs : kTickMs;
        uint64_t now = monotonic_ns();
        if (now < next_sweep) continue;
        next_sweep = now + kIdleNs;
        // connections the kernel forgot without telling (its LRU map evicted them)
        std::lock_guard<std::mutex> g(mu_);
        tracker_.sweep(now - kIdleNs, [this](uint32_t tgid, uint32_t fd, uint64_t id) {
            return bpf_->conn_alive(tgid, fd, id);
        });
    }
}

// read() under the tracker's lock and the series' lock, held once for all
// the requests it counts (which then take no lock of their own).
template <class Read>
int H2Collector::counting(Read&& read) const {
    std::lock_guard<std::mutex> g(mu_);
    auto series = series_.hold();
    held_ = true;
    int n = read();
    held_ = false;
    return n;
}

int H2Collector::drain() const {
    return counting([this] { return rb_ ? ring_buffer__consume(rb_) : 0; });
}

void H2Collector::records(const std::vector<std::string>& ring) {
    counting([&] {
        for (const auto& r : ring) tracker_.record(r.data(), r.size());
        return 0;
    });
}

void H2Collector::unknown(const H2Exchange& x) {
    if (x.unknown) unknown_[x.loss]++;
}

void H2Collector::handle(H2Exchange&& x) {
    bool client = x.call.direction == AS_DIR_CLIENT;
    unknown(x);
    const auto& where = workload(x.call);
    CallKey call = call_key(x, client);
    size_t slot = (reinterpret_cast<uintptr_t>(x.request.id()) * 31 + reinterpret_cast<uintptr_t>(x.response.id())) /
                  alignof(std::max_align_t) % recent_.size();
    Recent& r = recent_[slot];
    // blocks that decoded to the very lists of a recent request, in the same
    // call: an HTTP request (gRPC calls are not kept there) of that one's
    // series, found without reading a field
    if (r.series && r.request.id() == x.request.id() && r.response.id() == x.response.id() && r.call == call &&
        r.series->where == where &&
        series_.observe(r.series->ref, duration(x), x.call.req_bytes, x.call.resp_bytes, held_)) {
        http_done(x, *r.series);
        return;
    }
    bool grpc = starts_with(field(x.request, "content-type"), "application/grpc") ||
                starts_with(field(x.response, "content-type"), "application/grpc");
    if (grpc) {
        static const Workload nowhere;
        const std::string* path = field(x.request, ":path");
        // the path in the kernel's route form, for the log and the GenAI routes
        std::optional<std::string> route;
        if (path && (log_ || genai_)) route = kernel_route(*path);
        rpc(x, service_label(cfg_, x.call.comm), client, route ? &*route : nullptr, where ? *where : nowhere);
        if (genai_ && route) genai(x, genai_route(*route));
    } else {
        http(x, client, where, call, r);
    }
}

// The last cgroup's answer is used again for a second of the kernel's time
// (a pod's names come a little after its first requests): one lookup a
// second, not one a request, while a target's requests come from one cgroup.
const std::shared_ptr<const Workload>& H2Collector::workload(const as_call& c) {
    constexpr uint64_t kReuseNs = 1000000000ULL;
    if (meta_ && (!where_ || c.cgroup != where_cgroup_ || c.start_ns >= where_ns_ + kReuseNs)) {
        where_ = meta_->lookup(c.cgroup);
        where_cgroup_ = c.cgroup;
        where_ns_ = c.start_ns;
    }
    return where_;
}

int H2Collector::genai_route(const std::string& route) const {
    auto it = std::find_if(genai_routes_.begin(), genai_routes_.end(),
                           [&](const GenaiRouteInfo& r) { return r.route == route; });
    return it == genai_routes_.end() ? -1 : it - genai_routes_.begin();
}

// An LLM or MCP call, if its route is one: with the body windows the kernel
// kept if its request body was JSON (an MCP DELETE has none, and ends a
// session all the same).
void H2Collector::genai(const H2Exchange& x, int route) {
    if (route < 0) return;
    as_genai_call g{};
    if (x.genai) g = *x.genai;
    g.call = x.call;
    g.call.duration_ns = x.end_ns > x.call.start_ns ? x.end_ns - x.call.start_ns : 0;  // to the response's end
    if (const std::string* s = field(x.response, ":status"))
        g.call.status = static_cast<uint16_t>(std::strtoul(s->c_str(), nullptr, 10));
    if (const std::string* m = field(x.request, ":method")) g.call.method = method_of(*m);
    g.kind = 1 + route;
    auto put = [](char* to, size_t max, const std::string* v) -> uint8_t {
        size_t n = v ? std::min(v->size(), max) : 0;
        if (n) memcpy(to, v->data(), n);
        return n;
    };
    g.session_len[0] = put(g.session[0], AS_HDR_VAL_MAX, field(x.request, "mcp-session-id"));
    g.session_len[1] = put(g.session[1], AS_HDR_VAL_MAX, field(x.response, "mcp-session-id"));
    g.proto_len = put(g.proto, AS_GENAI_PROTO_MAX, field(x.request, "mcp-protocol-version"));
    genai_->add(g);
}

std::vector<std::string> H2Collector::header_labels(const H2Exchange& x, const std::string& service) {
    std::vector<std::string> out;
    for (const auto& l : labels_) {
        const std::string* v = field(l.dir ? x.response : x.request, l.header);
        std::string value = v ? *v : "";
        if (l.header == "user-agent") value = value.substr(0, value.find_first_of("/ "));
        size_t max = cfg_.headers.value_max_bytes;
        if (value.size() > max) value = value.substr(0, max) + kTruncated;
        out.push_back(label_values_.admit(service + "/" + l.label, value));
    }
    return out;
}

H2Collector::CallKey H2Collector::call_key(const H2Exchange& x, bool client) {
    static_assert(std::has_unique_object_representations_v<CallKey>, "no padding");
    const as_call& c = x.call;
    CallKey k{};
    k.route_id = c.route_id;
    k.code = x.code;
    k.client = client;
    k.tls = c.tls;
    k.method = c.method;
    k.error = c.error;
    memcpy(k.comm, c.comm, sizeof(k.comm));
    if (client) {
        k.peer_port = c.peer_port;
        memcpy(k.peer_addr, c.peer_addr, sizeof(k.peer_addr));
    }
    return k;
}

// What a request's labels are made from, in one string: requests that agree
// on it are counted in the same series.
const std::string& H2Collector::http_key(const H2Exchange& x, const CallKey& call) {
    std::string& k = key_;
    k.assign(reinterpret_cast<const char*>(&call), sizeof(call));
    auto put_field = [&k](const std::string* v) {
        uint32_t n = v ? v->size() + 1 : 0;  // absent differs from empty
        k.append(reinterpret_cast<const char*>(&n), sizeof(n));
        if (v) k += *v;
    };
    put_field(field(x.request, ":method"));
    put_field(field(x.request, ":path"));
    put_field(field(x.response, ":status"));
    for (const auto& l : labels_) put_field(field(l.dir ? x.response : x.request, l.header));
    return k;
}

H2Collector::HttpSeries H2Collector::http_series(const H2Exchange& x, bool client,
                                                 std::shared_ptr<const Workload> where) {
    static const Workload nowhere;
    const Workload& w = where ? *where : nowhere;
    std::string service = service_label(cfg_, x.call.comm);
    const std::string* m = field(x.request, ":method");
    const std::string* path = field(x.request, ":path");
    const std::string* status = field(x.response, ":status");
    HttpSeries s;
    s.where = std::move(where);
    s.method = m ? method_label(method_of(*m)) : x.call.method ? method_label(x.call.method) : kUnknown;
    std::string path_route = path ? kernel_route(*path) : "";
    if (path && genai_) s.genai = genai_route(path_route);
    s.route = path                ? routes_.label(service, path_route)
              : x.call.route_id   ? routes_.label(service, x.call.route_id)  // stream 1 of an h2c upgrade
              : m && *m == "CONNECT" ? ""
                                     : kUnknown;
    std::string status_label;
    if (status) {
        status_label = *status;
        s.code = static_cast<uint16_t>(std::strtoul(status->c_str(), nullptr, 10));
    } else if (!x.call.error) {
        status_label = kUnknown;  // a response came, its status not known
    }
    s.error = status_label == kUnknown && !x.call.error ? "" : error_label(x.call.error, s.code, client, x.code);
    std::vector<std::string> labels = {service, s.method, s.route, status_label, s.error,
                                       x.call.tls ? "https" : "http", "2"};
    if (client) {
        labels.push_back(address_label(x.call.peer_addr));
        labels.push_back(x.call.peer_port ? std::to_string(x.call.peer_port) : "");
    }
    for (auto& v : header_labels(x, service)) labels.push_back(std::move(v));
    labels.insert(labels.end(), w.values.begin(), w.values.end());
    s.ref = series_.place(client, labels, w.pod_uid, held_);
    return s;
}

// Labels are made once for each new combination of what they are made from;
// requests like an earlier one are counted straight into its series.
// From the request's first header byte to the response's, or if no response
// began, to the end.
uint64_t H2Collector::duration(const H2Exchange& x) {
    return x.call.duration_ns ? x.call.duration_ns : (x.end_ns > x.call.start_ns ? x.end_ns - x.call.start_ns : 0);
}

// An HTTP request no recent one told the series of (r: the recent entry it
// takes).
void H2Collector::http(const H2Exchange& x, bool client, const std::shared_ptr<const Workload>& where,
                       const CallKey& call, Recent& r) {
    const std::string& key = http_key(x, call);
    auto it = http_series_.find(key);
    HttpSeries* s = it != http_series_.end() ? &it->second : nullptr;
    if (!s || s->where != where ||
        !series_.observe(s->ref, duration(x), x.call.req_bytes, x.call.resp_bytes, held_)) {
        if (http_series_.size() >= kMaxHttpSeries) {
            http_series_.clear();
            recent_ = {};
        }
        s = &http_series_.insert_or_assign(key, http_series(x, client, where)).first->second;
        series_.observe(s->ref, duration(x), x.call.req_bytes, x.call.resp_bytes, held_);
    }
    r = {x.request, x.response, call, s};
    http_done(x, *s);
}

// What an HTTP request counted in series s goes on to.
void H2Collector::http_done(const H2Exchange& x, const HttpSeries& s) {
    if (log_) log(x, s.code, duration(x), s.method, s.route, s.error, {});
    if (genai_) genai(x, s.genai);
}

void H2Collector::rpc(const H2Exchange& x, const std::string& service, bool client, const std::string* path_route,
                      const Workload& w) {
    const std::string* path = field(x.request, ":path");
    std::string method = path ? rpc_methods_.admit(service, path->substr(!path->empty() && (*path)[0] == '/'))
                              : kUnknown;
    std::string status;
    if (const std::string* g = field(x.trailers, "grpc-status"))
        status = grpc_status_name(*g);
    else if ((g = field(x.response, "grpc-status")))  // a trailers-only response
        status = grpc_status_name(*g);
    else if (x.call.error == AS_ERR_H2_RESET)
        status = grpc_status_of_reset(x.code);
    else if (const std::string* s = field(x.response, ":status"); s && *s != "200")
        status = grpc_status_of_http(*s);
    else if (!x.call.error)
        status = kUnknown;
    std::string error = x.call.error == AS_ERR_CONN_CLOSED ? "connection_closed"
                        : status == "OK" || status == kUnknown ? ""
                                                                : status;
    std::map<std::string, std::string> labels = {{"service_name", service},
                                                 {"rpc_system_name", "grpc"},
                                                 {"rpc_method", method},
                                                 {"rpc_response_status_code", status},
                                                 {"error_type", error}};
    if (client) {
        labels["server_address"] = address_label(x.call.peer_addr);
        labels["server_port"] = std::to_string(x.call.peer_port);
    }
    uint64_t end = x.end_ns > x.call.start_ns ? x.end_ns - x.call.start_ns : 0;  // streams: to their end
    pods_.series(rpc_duration_[client], labels, meta_, w, cfg_.duration_buckets).Observe(end / 1e9);
    if (log_) {
        const std::string* s = field(x.response, ":status");
        const std::string* m = field(x.request, ":method");
        log(x, s ? static_cast<uint16_t>(std::strtoul(s->c_str(), nullptr, 10)) : 0, end, m ? *m : kUnknown,
            path_route ? routes_.label(service, *path_route) : kUnknown, error,
            {{"rpc.system.name", "grpc"}, {"rpc.method", method}, {"rpc.response.status_code", status}});
    }
}

void H2Collector::log(const H2Exchange& x, uint16_t status, uint64_t duration_ns, std::string method,
                      std::string route, std::string error, std::vector<LogField> extra) {
    UserLogEvent u;
    u.e.call = x.call;
    u.e.call.status = status;
    u.e.call.duration_ns = duration_ns;
    u.e.has_req = capture(u.e.req, capture_, 0, x.request);
    u.e.has_resp = capture(u.e.resp, capture_, 1, x.response);
    u.method = std::move(method);
    u.route = std::move(route);
    u.error = std::move(error);
    u.extra = std::move(extra);
    log_->add(std::move(u));
}

std::vector<prometheus::MetricFamily> H2Collector::Collect() const {
    drain();
    std::lock_guard<std::mutex> g(mu_);
    if (meta_) pods_.forget_gone(*meta_);
    auto out = registry_->Collect();
    auto gauge = [](const std::string& name, const std::string& help, prometheus::MetricType type) {
        prometheus::MetricFamily f;
        f.name = name;
        f.help = help;
        f.type = type;
        return f;
    };
    auto add = [](prometheus::MetricFamily& f, std::vector<prometheus::ClientMetric::Label> labels, double v) {
        prometheus::ClientMetric m;
        m.label = std::move(labels);
        (f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value) = v;
        f.metric.push_back(std::move(m));
    };
    auto unknown = gauge("apiscope_http2_requests_unknown_total",
                         "HTTP/2 requests counted with a header field apiscope could not know (labels _unknown), "
                         "by why its header table was not known.",
                         prometheus::MetricType::Counter);
    for (auto l : {TableLoss::Midstream, TableLoss::Lost, TableLoss::TooLarge, TableLoss::DecodeError,
                   TableLoss::Untracked}) {
        auto it = unknown_.find(l);
        add(unknown, {{"reason", loss_reason(l)}}, it == unknown_.end() ? 0 : it->second);
    }
    auto conns = gauge("apiscope_http2_connections", "HTTP/2 connections whose header tables are kept.",
                       prometheus::MetricType::Gauge);
    add(conns, {}, tracker_.open_connections());
    const auto& st = tracker_.stats();
    auto dropped = gauge("apiscope_http2_dropped_total",
                         "HTTP/2 connections and streams not followed, by reason (bounds: http2.max_connections, "
                         "1024 open streams a connection, maps.series for the series).",
                         prometheus::MetricType::Counter);
    add(dropped, {{"reason", "connections_full"}}, st.connections_refused);
    add(dropped, {{"reason", "streams_full"}}, st.streams_dropped);
    add(dropped, {{"reason", "series_full"}}, series_.dropped());
    add(dropped, {{"reason", "bad_record"}}, st.bad_records);
    for (auto* f : {&unknown, &conns, &dropped}) out.push_back(std::move(*f));
    return out;
}

}  // namespace apiscope
