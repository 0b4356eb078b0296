#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "apiscope_shared.h"
#include "config/redact.h"

namespace apiscope {
namespace {

[[noreturn]] void fail(const std::string& key, const std::string& what) {
    throw ConfigError(key + ": " + what);
}

void check_keys(const YAML::Node& node, const std::string& prefix,
                const std::set<std::string>& allowed) {
    if (!node.IsMap()) fail(prefix.empty() ? "config" : prefix, "must be a mapping");
    for (const auto& kv : node) {
        if (!kv.first.IsScalar())
            fail(prefix.empty() ? "config" : prefix, "keys must be plain names (got '" + YAML::Dump(kv.first) + "')");
        auto key = kv.first.as<std::string>();
        if (!allowed.count(key)) {
            std::string known;
            for (const auto& k : allowed) known += (known.empty() ? "" : ", ") + k;
            fail(prefix.empty() ? key : prefix + "." + key,
                 "unknown key (known here: " + known + ")");
        }
    }
}

template <typename T>
T scalar(const YAML::Node& node, const std::string& key) {
    try {
        return node.as<T>();
    } catch (const YAML::Exception&) {
        fail(key, "has the wrong type (got '" + YAML::Dump(node) + "')");
    }
}

template <typename T>
std::vector<T> list(const YAML::Node& node, const std::string& key) {
    if (!node || node.IsNull()) return {};
    if (!node.IsSequence()) fail(key, "must be a list");
    std::vector<T> out;
    for (const auto& item : node) out.push_back(scalar<T>(item, key));
    return out;
}

uint32_t u32(const YAML::Node& node, const std::string& key) {
    auto v = scalar<long long>(node, key);
    if (v < 0 || v > UINT32_MAX) fail(key, "must be a non-negative integer");
    return static_cast<uint32_t>(v);
}

void check_buckets(const std::vector<double>& b, const std::string& key, size_t max) {
    if (b.empty()) fail(key, "needs at least one bucket boundary");
    if (b.size() > max) fail(key, "at most " + std::to_string(max) + " boundaries");
    for (size_t i = 0; i < b.size(); i++) {
        if (!std::isfinite(b[i]) || b[i] < 0) fail(key, "boundaries must be finite and >= 0");
        if (i && b[i] <= b[i - 1]) fail(key, "boundaries must increase strictly");
    }
}

std::string lowercase(std::string s) {
    for (auto& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    return s;
}

// A list of header names, or of {name, label} mappings.
std::vector<HeaderSpec> header_list(const YAML::Node& node, const std::string& key) {
    std::vector<HeaderSpec> out;
    if (!node || node.IsNull()) return out;
    if (!node.IsSequence()) fail(key, "must be a list of header names or {name, label} mappings");
    for (size_t i = 0; i < node.size(); i++) {
        std::string item = key + "[" + std::to_string(i) + "]";
        HeaderSpec h;
        if (node[i].IsMap()) {
            check_keys(node[i], item, {"name", "label"});
            if (!node[i]["name"]) fail(item, "needs a name");
            h.name = scalar<std::string>(node[i]["name"], item + ".name");
            if (node[i]["label"]) h.label = scalar<bool>(node[i]["label"], item + ".label");
        } else {
            h.name = scalar<std::string>(node[i], item);
        }
        h.name = lowercase(h.name);
        out.push_back(h);
    }
    return out;
}

bool is_token(const std::string& s) {
    static const std::string extra = "!#$%&'*+-.^_`|~";
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string::npos;
    });
}

void check_headers(const Config& cfg) {
    const auto& h = cfg.headers;
    size_t labels = 0;
    for (const char* dir : {"request", "response"}) {
        const auto& list = std::string(dir) == "request" ? h.request : h.response;
        std::string key = std::string("headers.") + dir;
        if (list.size() > AS_MAX_HDRS)
            fail(key, "at most " + std::to_string(AS_MAX_HDRS) + " headers (got " +
                          std::to_string(list.size()) + ")");
        std::set<std::string> seen;
        for (const auto& spec : list) {
            if (!is_token(spec.name) || spec.name.size() > AS_HDR_NAME_MAX)
                fail(key, "'" + spec.name + "' is not a header name (1-" + std::to_string(AS_HDR_NAME_MAX) +
                              " token characters)");
            if (spec.name == "content-length" || spec.name == "transfer-encoding")
                fail(key, "'" + spec.name + "' frames the body and cannot be captured");
            if (!seen.insert(spec.name).second) fail(key, "'" + spec.name + "' is listed twice");
            if (spec.label && is_sensitive_name(spec.name, h.sensitive))
                fail(key, "'" + spec.name + "' is a sensitive header: as a label its values would be "
                          "exported in clear; remove 'label: true' (the access log redacts it)");
            labels += spec.label;
        }
    }
    if (labels > AS_MAX_LABELS)
        fail("headers", "at most " + std::to_string(AS_MAX_LABELS) + " headers can be labels (got " +
                            std::to_string(labels) + "): each multiplies the series count");
    if (h.value_max_bytes < 1 || h.value_max_bytes > AS_HDR_VAL_MAX)
        fail("headers.value_max_bytes", "must be 1-" + std::to_string(AS_HDR_VAL_MAX) + " (got " +
                                            std::to_string(h.value_max_bytes) + ")");
    if (h.max_label_values < 1 || h.max_label_values > 10000)
        fail("headers.max_label_values", "must be 1-10000 (got " + std::to_string(h.max_label_values) + ")");
    if (h.redact != "drop" && h.redact != "hash")
        fail("headers.redact", "must be drop or hash (got '" + h.redact + "')");
    if (h.redact == "hash" && h.redact_key_file.empty())
        fail("headers.redact_key_file", "redact: hash needs a key file (16 or more secret bytes, "
                                        "e.g. head -c 32 /dev/urandom > key)");
    if (!h.redact_key_file.empty()) load_redact_key(h.redact_key_file);
}

void check_buffer(uint32_t b, const char* key) {
    if (b < 4096 || b > (1u << 30) || (b & (b - 1)))
        fail(key, "must be a power of two from 4096 to 1073741824 (got " + std::to_string(b) + ")");
}

void check_kubernetes(const KubernetesConfig& k) {
    std::set<std::string> seen;
    for (const auto& l : k.labels) {
        if (std::find(kWorkloadLabels.begin(), kWorkloadLabels.end(), l) == kWorkloadLabels.end()) {
            std::string known;
            for (const auto& n : kWorkloadLabels) known += (known.empty() ? "" : ", ") + n;
            fail("kubernetes.labels", "unknown label '" + l + "' (known: " + known + ")");
        }
        if (!seen.insert(l).second) fail("kubernetes.labels", "'" + l + "' is listed twice");
    }
    if (k.grace_period_seconds > 86400)
        fail("kubernetes.grace_period_seconds", "must be 0-86400 (got " + std::to_string(k.grace_period_seconds) + ")");
}

void check_http2(const Http2Config& h) {
    check_buffer(h.buffer_bytes, "http2.buffer_bytes");
    if (h.max_connections < 1 || h.max_connections > 1000000)
        fail("http2.max_connections", "must be 1-1000000 (got " + std::to_string(h.max_connections) + ")");
    if (h.max_table_bytes < 4096 || h.max_table_bytes > (1u << 20))
        fail("http2.max_table_bytes", "must be 4096-1048576 (got " + std::to_string(h.max_table_bytes) + ")");
}

void check_access_log(const AccessLogConfig& l) {
    if (!(l.sample_ratio >= 0 && l.sample_ratio <= 1))
        fail("access_log.sample_ratio", "must be between 0 and 1 (got " + std::to_string(l.sample_ratio) + ")");
    check_buffer(l.buffer_bytes, "access_log.buffer_bytes");
}

void check_genai(const GenaiConfig& g) {
    static const std::set<std::string> ops = {"chat", "text_completion", "embeddings", "generate_content"};
    for (const auto& r : g.routes) {
        if (r.path.empty() || r.path[0] != '/')
            fail("genai.routes.path", "must start with '/' (got '" + r.path + "')");
        if (!ops.count(r.operation))
            fail("genai.routes.operation",
                 "must be chat, text_completion, embeddings or generate_content (got '" + r.operation + "')");
        if (r.provider.empty()) fail("genai.routes.provider", "name the provider, e.g. openai (got nothing)");
    }
    for (const auto& p : g.mcp_paths)
        if (p.empty() || p[0] != '/') fail("genai.mcp_paths", "each path starts with '/' (got '" + p + "')");
    if (g.max_models_per_service < 1 || g.max_models_per_service > 10000)
        fail("genai.max_models_per_service", "must be 1-10000 (got " + std::to_string(g.max_models_per_service) + ")");
    if (g.max_tools_per_service < 1 || g.max_tools_per_service > 10000)
        fail("genai.max_tools_per_service", "must be 1-10000 (got " + std::to_string(g.max_tools_per_service) + ")");
    if (g.session_idle_timeout_seconds < 1)
        fail("genai.session_idle_timeout_seconds", "must be at least 1");
}

}  // namespace

bool capture_enabled(const Config& cfg) {
    // captured values are only of use to labels and the log
    auto labelled = [](const std::vector<HeaderSpec>& l) {
        return std::any_of(l.begin(), l.end(), [](const HeaderSpec& h) { return h.label; });
    };
    return labelled(cfg.headers.request) || labelled(cfg.headers.response) || cfg.access_log.enabled();
}

static Config parse_config(const std::string& text, const std::string& origin);

Config load_config_yaml(const std::string& text, const std::string& origin) {
    try {
        return parse_config(text, origin);
    } catch (const YAML::Exception& e) {
        // a shape the checks above did not foresee: still one clear line
        throw ConfigError(origin + ": " + e.what());
    }
}

static Config parse_config(const std::string& text, const std::string& origin) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        throw ConfigError(origin + ": not valid YAML: " + e.what());
    }
    Config cfg;
    if (root.IsNull()) return cfg;
    check_keys(root, "", {"web", "service_name", "targets", "routes", "histograms", "maps",
                          "bpf_stats", "headers", "access_log", "tls", "genai", "http2", "kubernetes"});
    if (auto web = root["web"]) {
        check_keys(web, "web", {"listen_address", "telemetry_path", "config_file", "max_connections", "max_requests",
                                "max_connections_per_ip", "read_timeout_seconds"});
        if (web["config_file"]) cfg.web_config_file = scalar<std::string>(web["config_file"], "web.config_file");
        if (web["max_requests"]) cfg.web_max_connections = u32(web["max_requests"], "web.max_requests");  // its old name
        if (web["max_connections"]) cfg.web_max_connections = u32(web["max_connections"], "web.max_connections");
        if (web["max_connections_per_ip"])
            cfg.web_max_connections_per_ip = u32(web["max_connections_per_ip"], "web.max_connections_per_ip");
        if (web["read_timeout_seconds"])
            cfg.web_read_timeout_seconds = u32(web["read_timeout_seconds"], "web.read_timeout_seconds");
        if (web["listen_address"])
            cfg.listen_address = scalar<std::string>(web["listen_address"], "web.listen_address");
        if (web["telemetry_path"])
            cfg.telemetry_path = scalar<std::string>(web["telemetry_path"], "web.telemetry_path");
    }
    if (root["service_name"]) cfg.service_name = scalar<std::string>(root["service_name"], "service_name");
    if (auto t = root["targets"]) {
        check_keys(t, "targets", {"pids", "comms", "ports", "cgroups", "pid_namespace"});
        if (t["pid_namespace"])
            cfg.targets.pid_namespace = scalar<std::string>(t["pid_namespace"], "targets.pid_namespace");
        for (auto p : list<long long>(t["pids"], "targets.pids")) {
            if (p <= 0 || p > INT32_MAX) fail("targets.pids", "PIDs are positive integers");
            cfg.targets.pids.push_back(static_cast<uint32_t>(p));
        }
        cfg.targets.comms = list<std::string>(t["comms"], "targets.comms");
        for (auto p : list<long long>(t["ports"], "targets.ports")) {
            if (p <= 0 || p > 65535) fail("targets.ports", "ports are 1-65535");
            cfg.targets.ports.push_back(static_cast<uint16_t>(p));
        }
        cfg.targets.cgroups = list<std::string>(t["cgroups"], "targets.cgroups");
    }
    if (auto r = root["routes"]) {
        check_keys(r, "routes", {"max_per_service", "templates"});
        if (r["max_per_service"])
            cfg.routes_max_per_service = u32(r["max_per_service"], "routes.max_per_service");
        cfg.route_templates = list<std::string>(r["templates"], "routes.templates");
    }
    if (auto h = root["histograms"]) {
        check_keys(h, "histograms", {"duration_seconds", "body_size_bytes"});
        if (h["duration_seconds"])
            cfg.duration_buckets = list<double>(h["duration_seconds"], "histograms.duration_seconds");
        if (h["body_size_bytes"])
            cfg.size_buckets = list<double>(h["body_size_bytes"], "histograms.body_size_bytes");
    }
    if (auto h = root["headers"]) {
        check_keys(h, "headers", {"request", "response", "value_max_bytes", "max_label_values",
                                  "redact", "redact_key_file", "sensitive"});
        for (const char* dir : {"request", "response"}) {
            auto& out = std::string(dir) == "request" ? cfg.headers.request : cfg.headers.response;
            out = header_list(h[dir], std::string("headers.") + dir);
        }
        if (h["value_max_bytes"]) cfg.headers.value_max_bytes = u32(h["value_max_bytes"], "headers.value_max_bytes");
        if (h["max_label_values"])
            cfg.headers.max_label_values = u32(h["max_label_values"], "headers.max_label_values");
        if (h["redact"]) cfg.headers.redact = scalar<std::string>(h["redact"], "headers.redact");
        if (h["redact_key_file"])
            cfg.headers.redact_key_file = scalar<std::string>(h["redact_key_file"], "headers.redact_key_file");
        cfg.headers.sensitive = list<std::string>(h["sensitive"], "headers.sensitive");
        for (auto& n : cfg.headers.sensitive) n = lowercase(n);
    }
    if (auto a = root["access_log"]) {
        check_keys(a, "access_log", {"output", "include_query", "sensitive_query_params", "sample_ratio",
                                     "rate_limit_per_second", "buffer_bytes"});
        auto& l = cfg.access_log;
        if (a["output"]) l.output = scalar<std::string>(a["output"], "access_log.output");
        if (a["include_query"]) l.include_query = scalar<bool>(a["include_query"], "access_log.include_query");
        l.sensitive_query_params = list<std::string>(a["sensitive_query_params"], "access_log.sensitive_query_params");
        if (a["sample_ratio"]) l.sample_ratio = scalar<double>(a["sample_ratio"], "access_log.sample_ratio");
        if (a["rate_limit_per_second"])
            l.rate_limit_per_second = u32(a["rate_limit_per_second"], "access_log.rate_limit_per_second");
        if (a["buffer_bytes"]) l.buffer_bytes = u32(a["buffer_bytes"], "access_log.buffer_bytes");
    }
    if (auto g = root["genai"]) {
        check_keys(g, "genai", {"enabled", "routes", "mcp_paths", "max_models_per_service",
                                "max_tools_per_service", "tools", "session_idle_timeout_seconds"});
        auto& c = cfg.genai;
        if (g["enabled"]) c.enabled = scalar<bool>(g["enabled"], "genai.enabled");
        if (auto r = g["routes"]) {
            if (!r.IsSequence()) fail("genai.routes", "must be a list of {path, operation, provider}");
            for (const auto& item : r) {
                check_keys(item, "genai.routes", {"path", "operation", "provider"});
                GenaiRoute route;
                if (item["path"]) route.path = scalar<std::string>(item["path"], "genai.routes.path");
                if (item["operation"])
                    route.operation = scalar<std::string>(item["operation"], "genai.routes.operation");
                if (item["provider"]) route.provider = scalar<std::string>(item["provider"], "genai.routes.provider");
                c.routes.push_back(route);
            }
        }
        if (g["mcp_paths"]) c.mcp_paths = list<std::string>(g["mcp_paths"], "genai.mcp_paths");
        if (g["max_models_per_service"])
            c.max_models_per_service = u32(g["max_models_per_service"], "genai.max_models_per_service");
        if (g["max_tools_per_service"])
            c.max_tools_per_service = u32(g["max_tools_per_service"], "genai.max_tools_per_service");
        c.tools = list<std::string>(g["tools"], "genai.tools");
        if (g["session_idle_timeout_seconds"])
            c.session_idle_timeout_seconds =
                u32(g["session_idle_timeout_seconds"], "genai.session_idle_timeout_seconds");
    }
    if (auto m = root["maps"]) {
        check_keys(m, "maps", {"connections", "series", "routes", "percpu_values", "captures", "label_values",
                               "genai_calls", "h2_streams"});
        if (m["h2_streams"]) cfg.maps.h2_streams = u32(m["h2_streams"], "maps.h2_streams");
        if (m["genai_calls"]) cfg.maps.genai_calls = u32(m["genai_calls"], "maps.genai_calls");
        if (m["connections"]) cfg.maps.connections = u32(m["connections"], "maps.connections");
        if (m["series"]) cfg.maps.series = u32(m["series"], "maps.series");
        if (m["routes"]) cfg.maps.routes = u32(m["routes"], "maps.routes");
        if (m["captures"]) cfg.maps.captures = u32(m["captures"], "maps.captures");
        if (m["label_values"]) cfg.maps.label_values = u32(m["label_values"], "maps.label_values");
        if (m["percpu_values"]) cfg.maps.percpu_values = scalar<bool>(m["percpu_values"], "maps.percpu_values");
    }
    if (auto k = root["kubernetes"]) {
        check_keys(k, "kubernetes",
                   {"enabled", "labels", "containers_dir", "pods_dir", "runtime_socket", "grace_period_seconds"});
        auto& c = cfg.kubernetes;
        if (k["enabled"]) c.enabled = scalar<bool>(k["enabled"], "kubernetes.enabled");
        if (k["labels"]) c.labels = list<std::string>(k["labels"], "kubernetes.labels");
        if (k["containers_dir"]) c.containers_dir = scalar<std::string>(k["containers_dir"], "kubernetes.containers_dir");
        if (k["pods_dir"]) c.pods_dir = scalar<std::string>(k["pods_dir"], "kubernetes.pods_dir");
        if (k["runtime_socket"]) c.runtime_socket = scalar<std::string>(k["runtime_socket"], "kubernetes.runtime_socket");
        if (k["grace_period_seconds"])
            c.grace_period_seconds = u32(k["grace_period_seconds"], "kubernetes.grace_period_seconds");
    }
    if (auto h = root["http2"]) {
        check_keys(h, "http2", {"enabled", "buffer_bytes", "max_connections", "max_table_bytes"});
        auto& c = cfg.http2;
        if (h["enabled"]) c.enabled = scalar<bool>(h["enabled"], "http2.enabled");
        if (h["buffer_bytes"]) c.buffer_bytes = u32(h["buffer_bytes"], "http2.buffer_bytes");
        if (h["max_connections"]) c.max_connections = u32(h["max_connections"], "http2.max_connections");
        if (h["max_table_bytes"]) c.max_table_bytes = u32(h["max_table_bytes"], "http2.max_table_bytes");
    }
    if (root["bpf_stats"]) cfg.bpf_stats = scalar<bool>(root["bpf_stats"], "bpf_stats");
    if (auto t = root["tls"]) {
        check_keys(t, "tls", {"enabled"});
        if (t["enabled"]) cfg.tls_enabled = scalar<bool>(t["enabled"], "tls.enabled");
    }
    return cfg;
}

Config load_config_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw ConfigError(path + ": cannot read the config file (does it exist?)");
    std::stringstream ss;
    ss << in.rdbuf();
    try {
        return load_config_yaml(ss.str(), path);
    } catch (const ConfigError& e) {
        std::string msg = e.what();
        if (msg.rfind(path, 0) == 0) throw;
        throw ConfigError(path + ": " + msg);
    }
}

ListenAddress parse_listen_address(const std::string& address) {
    auto colon = address.rfind(':');
    if (address.empty() || colon == std::string::npos)
        fail("web.listen_address", "must be [host]:port, e.g. :9478 (got '" + address + "')");
    auto port = address.substr(colon + 1);
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit) ||
        std::stoi(port) > 65535)
        fail("web.listen_address", "port must be 0-65535 (got '" + address + "')");
    std::string host = address.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    return {host, static_cast<uint16_t>(std::stoi(port))};
}

void validate(const Config& cfg) {
    parse_listen_address(cfg.listen_address);
    if (cfg.telemetry_path.empty() || cfg.telemetry_path[0] != '/' || cfg.telemetry_path == "/" ||
        cfg.telemetry_path == "/healthz")
        fail("web.telemetry_path", "must start with '/' and not be / or /healthz");
    if (cfg.routes_max_per_service < 1 || cfg.routes_max_per_service > 100000)
        fail("routes.max_per_service", "must be 1-100000 (got " +
                                           std::to_string(cfg.routes_max_per_service) + ")");
    for (const auto& t : cfg.route_templates)
        if (t.empty() || t[0] != '/')
            fail("routes.templates", "each template starts with '/' (got '" + t + "')");
    for (const auto& c : cfg.targets.comms)
        if (c.empty() || c.size() > 15)
            fail("targets.comms", "process names are 1-15 characters, as in /proc/PID/comm (got '" + c + "')");
    if (cfg.targets.pid_namespace != "auto" && cfg.targets.pid_namespace != "host" &&
        cfg.targets.pid_namespace != "own")
        fail("targets.pid_namespace", "must be auto, host or own (got '" + cfg.targets.pid_namespace + "')");
    check_buckets(cfg.duration_buckets, "histograms.duration_seconds", 23);
    check_buckets(cfg.size_buckets, "histograms.body_size_bytes", 23);
    auto range = [](uint32_t v, const char* key) {
        if (v < 16 || v > 4'000'000) fail(key, "must be 16-4000000 (got " + std::to_string(v) + ")");
    };
    if (cfg.web_max_connections < 1 || cfg.web_max_connections > 10000)
        fail("web.max_connections", "must be 1-10000 (got " + std::to_string(cfg.web_max_connections) + ")");
    if (cfg.web_max_connections_per_ip < 1 || cfg.web_max_connections_per_ip > 10000)
        fail("web.max_connections_per_ip", "must be 1-10000 (got " +
                                               std::to_string(cfg.web_max_connections_per_ip) + ")");
    if (cfg.web_read_timeout_seconds < 1 || cfg.web_read_timeout_seconds > 3600)
        fail("web.read_timeout_seconds", "must be 1-3600 (got " + std::to_string(cfg.web_read_timeout_seconds) + ")");
    check_headers(cfg);
    check_access_log(cfg.access_log);
    range(cfg.maps.captures, "maps.captures");
    range(cfg.maps.label_values, "maps.label_values");
    range(cfg.maps.connections, "maps.connections");
    range(cfg.maps.series, "maps.series");
    range(cfg.maps.routes, "maps.routes");
    range(cfg.maps.genai_calls, "maps.genai_calls");
    range(cfg.maps.h2_streams, "maps.h2_streams");
    check_genai(cfg.genai);
    check_http2(cfg.http2);
    check_kubernetes(cfg.kubernetes);
}

}  // namespace apiscope
