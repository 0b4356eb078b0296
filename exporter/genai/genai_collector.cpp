#include "genai/genai_collector.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <functional>
#include <random>
#include <regex>

#include "metrics/labels.h"

namespace apiscope {
namespace {

using prometheus::Histogram;

// OpenTelemetry's advice for these instruments.
const Histogram::BucketBoundaries kDuration = {0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28,
                                               2.56, 5.12, 10.24, 20.48, 40.96, 81.92};
const Histogram::BucketBoundaries kTokens = {1,     4,      16,      64,      256,      1024,     4096,
                                             16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864};
const Histogram::BucketBoundaries kFirstToken = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,
                                                 0.25,  0.5,   0.75, 1.0,  2.5,  5.0,  7.5,  10.0};
const Histogram::BucketBoundaries kPerToken = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,
                                               0.3,  0.4,   0.5,  0.75,  1.0, 2.5};
const Histogram::BucketBoundaries kMcp = {0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300};
const Histogram::BucketBoundaries kSession = {1, 10, 30, 60, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400};

// MCP methods of the specification; anything else is _OTHER (a client can
// send any string).
const std::set<std::string> kMcpMethods = {
    "initialize", "ping", "tools/list", "tools/call", "resources/list", "resources/read",
    "resources/templates/list", "resources/subscribe", "resources/unsubscribe", "prompts/list", "prompts/get",
    "completion/complete", "logging/setLevel", "sampling/createMessage", "elicitation/create", "roots/list",
    "notifications/initialized", "notifications/cancelled", "notifications/progress", "notifications/message",
    "notifications/resources/updated", "notifications/resources/list_changed",
    "notifications/tools/list_changed", "notifications/prompts/list_changed", "notifications/roots/list_changed"};

constexpr int kTickMs = 200;
constexpr uint64_t kAbandonedNs = 3600ULL * 1000000000ULL;  // a call entry older than this is swept

uint64_t monotonic_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000ULL + ts.tv_nsec;
}

int on_event(void* ctx, void* data, size_t size) {
    if (size >= sizeof(as_genai_call)) static_cast<GenaiCollector*>(ctx)->handle(*static_cast<as_genai_call*>(data));
    return 0;
}

// Label text from the wire: printable ASCII, bounded.
std::string clean(const std::string& s, size_t max = 128) {
    std::string out;
    for (char c : s) {
        if (out.size() >= max) break;
        out += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    return out;
}

RedactKey session_key(const Config& cfg) {
    if (!cfg.headers.redact_key_file.empty()) return load_redact_key(cfg.headers.redact_key_file);
    std::random_device random;
    return {uint64_t(random()) << 32 | random(), uint64_t(random()) << 32 | random()};
}

std::string protocol_label(const std::string& v) {
    static const std::regex date(R"(\d{4}-\d{2}-\d{2})");
    return v.empty() ? "" : std::regex_match(v, date) ? v : "_OTHER";
}

}  // namespace

GenaiCollector::GenaiCollector(const BpfProgram* bpf, const Config& cfg, AccessLog* log, WorkloadMeta* meta)
    : bpf_(bpf),
      log_(log),
      meta_(meta),
      cfg_(cfg),
      routes_(genai_route_table(cfg.genai)),
      registry_(std::make_shared<prometheus::Registry>()),
      models_(cfg.genai.max_models_per_service),
      tools_(cfg.genai.max_tools_per_service),
      session_key_(session_key(cfg)) {
    using prometheus::BuildCounter;
    using prometheus::BuildGauge;
    using prometheus::BuildHistogram;
    auto hist = [&](const std::string& name, const std::string& help) {
        return &BuildHistogram().Name(name).Help(help).Register(*registry_);
    };
    for (int c = 0; c < 2; c++) {
        std::string side = c ? "client" : "server";
        duration_[c] = hist(c ? "gen_ai_client_operation_duration_seconds" : "gen_ai_server_request_duration_seconds",
                            c ? "LLM API calls this process made, by model: duration."
                              : "LLM API calls this process served, by model: duration.");
        tokens_[c] = hist("gen_ai_" + side + "_token_usage",
                          "Tokens of LLM API calls (" + side + " side), from the response's usage; "
                          "gen_ai_token_type is input or output.");
        first_chunk_[c] = hist(c ? "gen_ai_client_operation_time_to_first_chunk_seconds"
                                 : "gen_ai_server_time_to_first_token_seconds",
                               "Streamed LLM API calls: from the request to the first chunk of the response.");
        mcp_duration_[c] = hist("mcp_" + side + "_operation_duration_seconds",
                                "MCP JSON-RPC calls (" + side + " side): duration of the HTTP exchange that "
                                "carried them.");
        session_duration_[c] = hist("mcp_" + side + "_session_duration_seconds",
                                    "MCP sessions (" + side + " side), from initialize to DELETE or idle timeout.");
        sessions_active_[c] = &BuildGauge()
                                   .Name("mcp_" + side + "_active_sessions")
                                   .Help("MCP sessions open now (" + side + " side), by Mcp-Session-Id.")
                                   .Register(*registry_);
    }
    per_token_ = hist("gen_ai_server_time_per_output_token_seconds",
                      "Streamed LLM API calls served: time per output token after the first.");
    events_ = &BuildCounter()
                   .Name("apiscope_genai_calls_total")
                   .Help("LLM API and MCP calls the kernel handed over, by kind and side.")
                   .Register(*registry_);
    if (!bpf_) return;
    rb_ = ring_buffer__new(bpf_->genai_events_fd(), on_event, this, nullptr);
    if (!rb_) throw BpfError(std::string("LLM/MCP calls: reading the kernel ring buffer failed: ") + strerror(errno));
    thread_ = std::thread([this] { run(); });
}

GenaiCollector::~GenaiCollector() {
    stop_ = true;
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    if (rb_) ring_buffer__free(rb_);
}

void GenaiCollector::run() {
    uint64_t next_sweep = 0;
    while (!stop_) {
        {
            std::unique_lock<std::mutex> lk(cv_mu_);
            cv_.wait_for(lk, std::chrono::milliseconds(kTickMs), [this] { return stop_.load(); });
        }
        drain();
        uint64_t now = monotonic_ns();
        std::lock_guard<std::mutex> g(mu_);
        expire_sessions(now);
        if (now < next_sweep) continue;
        next_sweep = now + 60ULL * 1000000000ULL;
        // calls whose connection vanished without a close leave their entry
        as_cap_key key, next;
        as_genai_call call;
        std::vector<as_cap_key> old;
        for (int rc = bpf_map_get_next_key(bpf_->genai_calls_fd(), nullptr, &next); rc == 0;
             rc = bpf_map_get_next_key(bpf_->genai_calls_fd(), &key, &next)) {
            key = next;
            if (bpf_map_lookup_elem(bpf_->genai_calls_fd(), &key, &call) == 0 && call.call.start_ns + kAbandonedNs < now)
                old.push_back(key);
        }
        for (const auto& k : old) bpf_map_delete_elem(bpf_->genai_calls_fd(), &k);
    }
}

void GenaiCollector::drain() const {
    std::lock_guard<std::mutex> g(mu_);
    if (rb_) ring_buffer__consume(rb_);
}

std::vector<prometheus::MetricFamily> GenaiCollector::Collect() const {
    drain();  // every call finished before the scrape is in it
    std::lock_guard<std::mutex> g(mu_);
    if (meta_) {
        pods_.forget_gone(*meta_);
        std::erase_if(sessions_, [&](const auto& kv) {
            const auto& uid = kv.second.where->pod_uid;
            return !uid.empty() && !meta_->pod_live(uid);
        });
    }
    return registry_->Collect();
}

void GenaiCollector::handle(const as_genai_call& g) {
    if (g.kind == 0 || g.kind > routes_.size()) return;
    const auto& route = routes_[g.kind - 1];
    std::string service = service_label(cfg_, g.call.comm);
    bool client = g.call.direction == AS_DIR_CLIENT;
    events_->Add({{"kind", route.mcp ? "mcp" : "llm"}, {"side", client ? "client" : "server"}}).Increment();
    auto w = meta_ ? meta_->lookup(g.call.cgroup) : nowhere_;
    if (route.mcp)
        mcp(g, route, service, client, w);
    else
        llm(g, route, service, client, w);
}

void GenaiCollector::add(const as_genai_call& g) {
    std::lock_guard<std::mutex> lk(mu_);
    handle(g);
}

std::vector<LogField> GenaiCollector::log_fields(const as_genai_call& g, const GenaiRouteInfo& route,
                                                 const std::string& service, bool client, const Workload& w) const {
    char secs[32];
    snprintf(secs, sizeof(secs), "%.9f", g.call.duration_ns / 1e9);
    std::vector<LogField> f = {{"event.name", route.mcp ? "mcp.call" : "gen_ai.call"},
                               {"service.name", service},
                               {"process.pid", std::to_string(g.call.tgid), true},
                               {"span.kind", client ? "client" : "server"},
                               {"http.route", route.route},
                               {"url.scheme", g.call.tls ? "https" : "http"},
                               {"duration_s", secs, true}};
    if (meta_)
        for (auto& [name, value] : meta_->log_fields(w)) f.push_back({name, value});
    if (g.call.status) f.push_back({"http.response.status_code", std::to_string(g.call.status), true});
    std::string peer = address_label(g.call.peer_addr);
    if (!peer.empty() && client) {
        f.push_back({"server.address", peer});
        f.push_back({"server.port", std::to_string(g.call.peer_port), true});
    }
    return f;
}

void GenaiCollector::llm(const as_genai_call& g, const GenaiRouteInfo& route, const std::string& service,
                         bool client, const std::shared_ptr<const Workload>& w) {
    LlmCall c = parse_llm(g, route);
    std::string scope = service + (client ? "/client" : "/server");
    std::map<std::string, std::string> labels = {
        {"service_name", service},
        {"gen_ai_operation_name", route.operation},
        {"gen_ai_provider_name", route.provider},
        {"gen_ai_request_model", models_.admit(scope, clean(c.request_model.value_or("")))},
        {"gen_ai_response_model", models_.admit(scope, clean(c.response_model.value_or("")))},
    };
    if (client) {
        labels["server_address"] = address_label(g.call.peer_addr);
        labels["server_port"] = std::to_string(g.call.peer_port);
    }
    auto with_error = labels;
    with_error["error_type"] = g.call.error == AS_ERR_CONN_CLOSED ? "connection_closed"
                               : g.call.status >= 400          ? std::to_string(g.call.status)
                                                          : "";
    pods_.series(duration_[client], with_error, meta_, *w, kDuration).Observe(g.call.duration_ns / 1e9);
    auto tokens = [&](const char* type, std::optional<uint64_t> n) {
        if (!n) return;
        auto l = labels;
        l["gen_ai_token_type"] = type;
        pods_.series(tokens_[client], l, meta_, *w, kTokens).Observe(static_cast<double>(*n));
    };
    tokens("input", c.input_tokens);
    tokens("output", c.output_tokens);
    if (log_) {
        auto f = log_fields(g, route, service, client, *w);
        f.push_back({"gen_ai.operation.name", route.operation});
        f.push_back({"gen_ai.provider.name", route.provider});
        if (c.request_model) f.push_back({"gen_ai.request.model", clean(*c.request_model)});
        if (c.response_model) f.push_back({"gen_ai.response.model", clean(*c.response_model)});
        if (c.input_tokens) f.push_back({"gen_ai.usage.input_tokens", std::to_string(*c.input_tokens), true});
        if (c.output_tokens) f.push_back({"gen_ai.usage.output_tokens", std::to_string(*c.output_tokens), true});
        if (c.first_chunk_seconds) {
            char secs[32];
            snprintf(secs, sizeof(secs), "%.9f", *c.first_chunk_seconds);
            f.push_back({"gen_ai.response.time_to_first_chunk_s", secs, true});
        }
        if (!with_error["error_type"].empty()) f.push_back({"error.type", with_error["error_type"]});
        log_->add(g.call.start_ns, std::move(f));
    }
    if (c.first_chunk_seconds) {
        pods_.series(first_chunk_[client], labels, meta_, *w, kFirstToken).Observe(*c.first_chunk_seconds);
        double rest = g.call.duration_ns / 1e9 - *c.first_chunk_seconds;
        if (!client && c.output_tokens && *c.output_tokens > 1 && rest > 0)
            pods_.series(per_token_, labels, meta_, *w, kPerToken).Observe(rest / static_cast<double>(*c.output_tokens - 1));
    }
}

std::string GenaiCollector::session_hash(const std::string& session) const {
    char hex[17];
    snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(siphash24(session_key_, session)));
    return hex;
}

void GenaiCollector::mcp(const as_genai_call& g, const GenaiRouteInfo& route, const std::string& service,
                         bool client, const std::shared_ptr<const Workload>& w) {
    McpExchange x = parse_mcp(g);
    std::string scope = service + (client ? "/client" : "/server");
    std::string proto = protocol_label(clean(x.protocol_version, 32));
    for (const auto& c : x.calls) {
        std::string tool = clean(c.tool);
        if (!tool.empty() && !cfg_.genai.tools.empty() &&
            std::find(cfg_.genai.tools.begin(), cfg_.genai.tools.end(), tool) == cfg_.genai.tools.end())
            tool = kOther;
        std::map<std::string, std::string> labels = {
            {"service_name", service},
            {"mcp_method_name", kMcpMethods.count(c.method) ? c.method : "_OTHER"},
            {"gen_ai_tool_name", tools_.admit(scope, tool)},
            {"mcp_protocol_version", proto},
            {"error_type", clean(c.error_type, 32)},
            {"rpc_response_status_code", clean(c.rpc_code, 16)},
        };
        if (client) {
            labels["server_address"] = address_label(g.call.peer_addr);
            labels["server_port"] = std::to_string(g.call.peer_port);
        }
        pods_.series(mcp_duration_[client], labels, meta_, *w, kMcp).Observe(g.call.duration_ns / 1e9);
        if (log_) {
            auto f = log_fields(g, route, service, client, *w);
            f.push_back({"mcp.method.name", labels["mcp_method_name"]});
            if (!tool.empty()) f.push_back({"gen_ai.tool.name", tool});
            if (!proto.empty()) f.push_back({"mcp.protocol.version", proto});
            if (!labels["error_type"].empty()) f.push_back({"error.type", labels["error_type"]});
            if (!c.rpc_code.empty()) f.push_back({"rpc.response.status_code", labels["rpc_response_status_code"]});
            if (!x.session.empty()) f.push_back({"mcp.session.id.hash", session_hash(x.session)});
            log_->add(g.call.start_ns, std::move(f));
        }
    }
    if (x.session.empty()) return;
    uint64_t key = siphash24(session_key_, x.session);
    key = key * 2 + client;  // the two sides of one session are two sessions here
    uint64_t end = g.call.start_ns + g.call.duration_ns;
    auto it = sessions_.find(key);
    if (g.call.method == AS_METHOD_DELETE && g.call.status < 500) {
        if (it != sessions_.end()) close_session(key, end);
        return;
    }
    if (g.call.status >= 400) return;  // an unknown or expired session was refused
    if (it == sessions_.end()) {
        // opened by initialize, or already open when apiscope started
        sessions_[key] = {x.initialize ? g.call.start_ns : end, end, service, client, w};
        pods_.series(sessions_active_[client], {{"service_name", service}}, meta_, *w).Increment();
    } else {
        it->second.last_ns = std::max(it->second.last_ns, end);
    }
}

void GenaiCollector::close_session(uint64_t key, uint64_t end_ns) {
    auto it = sessions_.find(key);
    if (it == sessions_.end()) return;
    const Session& s = it->second;
    double secs = end_ns > s.opened_ns ? (end_ns - s.opened_ns) / 1e9 : 0;
    pods_.series(session_duration_[s.client], {{"service_name", s.service}}, meta_, *s.where, kSession).Observe(secs);
    pods_.series(sessions_active_[s.client], {{"service_name", s.service}}, meta_, *s.where).Decrement();
    sessions_.erase(it);
}

void GenaiCollector::expire_sessions(uint64_t now_ns) {
    uint64_t idle = uint64_t(cfg_.genai.session_idle_timeout_seconds) * 1000000000ULL;
    std::vector<std::pair<uint64_t, uint64_t>> gone;
    for (const auto& [k, s] : sessions_)
        if (s.last_ns + idle < now_ns) gone.push_back({k, s.last_ns});
    for (auto [k, last] : gone) close_session(k, last);
}

}  // namespace apiscope
