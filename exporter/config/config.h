// The validated configuration: YAML and flags are turned into this once, and
// everything else reads it. Nothing downstream re-validates.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace apiscope {

// A bad key or value: the message names the key, the problem and the fix.
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct TargetConfig {
    std::vector<uint32_t> pids;
    std::vector<std::string> comms;
    std::vector<uint16_t> ports;
    std::vector<std::string> cgroups;  // cgroup v2 paths
    // "auto": in a container's PID namespace (a sidecar), only that
    // namespace's processes; on the host, every process. "host": every
    // process on the host even from a container. "own": only apiscope's
    // own PID namespace.
    std::string pid_namespace = "auto";
};

struct HeaderSpec {
    std::string name;  // lowercase
    bool label = false;  // also a label on the HTTP metrics
};

struct HeaderConfig {
    std::vector<HeaderSpec> request, response;  // at most 8 each
    uint32_t value_max_bytes = 64;
    uint32_t max_label_values = 50;  // per service and header label; then "_other"
    std::string redact = "drop";     // secrets: "drop" (only that they were there) or "hash"
    std::string redact_key_file;     // key of the "hash" mode
    std::vector<std::string> sensitive;  // more header names to treat as secrets
};

struct AccessLogConfig {
    std::string output;  // "" off, "stdout", or a file path (reopened on SIGHUP)
    bool include_query = false;
    std::vector<std::string> sensitive_query_params;  // more names to redact
    double sample_ratio = 1.0;
    uint32_t rate_limit_per_second = 0;  // 0: none
    uint32_t buffer_bytes = 4u << 20;    // kernel ring buffer
    bool enabled() const { return !output.empty(); }
};

// An LLM API route the built-in list lacks (a gateway's own prefix).
struct GenaiRoute {
    std::string path;       // as requested, e.g. /openai/v1/chat/completions
    std::string operation;  // chat, text_completion, embeddings
    std::string provider;   // openai, anthropic, ollama, ...
};

// LLM API calls and MCP (Streamable HTTP) calls: their bodies are read for
// the model, token usage, JSON-RPC method and tool.
struct GenaiConfig {
    bool enabled = true;
    std::vector<GenaiRoute> routes;              // besides the built-in ones
    std::vector<std::string> mcp_paths = {"/mcp"};
    uint32_t max_models_per_service = 50;        // then "_other"
    uint32_t max_tools_per_service = 50;         // then "_other"
    std::vector<std::string> tools;              // allowlist of tool names; empty: any
    uint32_t session_idle_timeout_seconds = 3600;  // a session never closed ends then
};

// HTTP/2: the kernel frames, the exporter decodes header blocks (HPACK).
struct Http2Config {
    bool enabled = true;
    uint32_t buffer_bytes = 4u << 20;   // ring buffer of header blocks and finished streams
    uint32_t max_connections = 10000;   // connections whose header tables the exporter keeps
    uint32_t max_table_bytes = 65536;   // a peer's HPACK dynamic table, at most
};

// Pod and container names on every series and log line, from the node: the
// cgroup a connection's process ran in, the kubelet's log directories, and a
// Docker-compatible runtime API for containers outside Kubernetes.
inline const std::vector<std::string> kWorkloadLabels = {
    "k8s_namespace_name",    "k8s_pod_name",         "k8s_container_name", "k8s_deployment_name",
    "k8s_statefulset_name",  "k8s_daemonset_name",   "k8s_job_name",       "container_name"};

struct KubernetesConfig {
    bool enabled = true;
    std::vector<std::string> labels = kWorkloadLabels;  // which of them, in this order
    std::string containers_dir = "/var/log/containers";  // <pod>_<namespace>_<container>-<id>.log
    std::string pods_dir = "/var/log/pods";              // <namespace>_<pod>_<uid>/<container>/
    std::string runtime_socket = "auto";  // "auto": podman's then Docker's; "": never asked
    uint32_t grace_period_seconds = 300;  // a gone pod's series are exported this long
};

struct MapSizes {
    uint32_t connections = 65536;
    uint32_t series = 16384;
    uint32_t routes = 65536;
    uint32_t captures = 4096;       // captured headers in flight (header capture only)
    uint32_t label_values = 16384;  // header label values, all services
    uint32_t genai_calls = 1024;    // LLM/MCP calls in flight (about 12 KiB each, as used)
    uint32_t h2_streams = 16384;    // HTTP/2 streams in flight
    // Per-CPU values: no atomic adds, but memory times the CPU count.
    bool percpu_values = false;
};

struct Config {
    std::string listen_address = ":9478";
    std::string telemetry_path = "/metrics";
    std::string web_config_file;   // TLS and basic auth for the endpoint (exporter-toolkit format)
    uint32_t web_max_connections = 64;        // connections to the endpoint open at once
    uint32_t web_max_connections_per_ip = 16;  // of them from one client address
    uint32_t web_read_timeout_seconds = 10;    // deadline for the handshake, each head, and idling
    std::string service_name;  // empty: each process's name
    TargetConfig targets;
    uint32_t routes_max_per_service = 1000;
    std::vector<std::string> route_templates;
    std::vector<double> duration_buckets = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                                            0.5,   0.75, 1,     2.5,  5,     7.5, 10};
    std::vector<double> size_buckets = {0,      64,      256,     1024,     4096,    16384,
                                        65536,  262144,  1048576, 4194304, 16777216};
    HeaderConfig headers;
    AccessLogConfig access_log;
    GenaiConfig genai;
    Http2Config http2;
    KubernetesConfig kubernetes;
    MapSizes maps;
    bool tls_enabled = true;  // OpenSSL uprobes: HTTPS in plaintext
    bool bpf_stats = true;  // kernel BPF run-time statistics for self-metrics
};

// Parse YAML text (keys as documented in config/apiscope.yaml) over defaults.
Config load_config_yaml(const std::string& text, const std::string& origin);
Config load_config_file(const std::string& path);

// web.listen_address split: host (brackets of an IPv6 address removed; empty:
// every address) and port. Throws ConfigError if it is not [host]:port.
struct ListenAddress {
    std::string host;
    uint16_t port;
};
ListenAddress parse_listen_address(const std::string& address);

// Checks every value; throws ConfigError on the first bad one.
void validate(const Config& cfg);

// Headers are captured in the kernel: for labels or for the access log
// (captured headers with neither cost nothing).
bool capture_enabled(const Config& cfg);

}  // namespace apiscope
