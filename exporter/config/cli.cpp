#include "config/cli.h"

#include <CLI/CLI.hpp>

#include <iostream>

#include "version.h"

namespace apiscope {

CliRequest parse_cli(int argc, char** argv) {
    CLI::App app{"apiscope: eBPF HTTP API metrics for Prometheus, from unmodified processes"};
    CliRequest req;
    std::string config_file, check_file, listen, path, service, pidns;
    std::vector<uint32_t> pids;
    std::vector<std::string> comms, cgroups;
    std::vector<uint16_t> ports;
    std::optional<uint32_t> max_routes;
    std::optional<bool> bpf_stats, tls, genai, http2, kubernetes;
    std::optional<std::vector<std::string>> k8s_labels;
    std::vector<std::string> mcp_paths;
    std::string log_output, web_config;
    std::optional<uint32_t> max_connections, max_per_ip, read_timeout;
    std::optional<double> log_sample;
    std::optional<uint32_t> log_rate;

    app.add_option("--config", config_file, "YAML configuration file (see config/apiscope.yaml)");
    app.add_option("--check-config", check_file, "Validate this configuration file and exit");
    app.add_flag("--version", req.version, "Print the version and exit");
    app.add_option("--web.listen-address", listen, "Address to serve /metrics on (default :9478)");
    app.add_option("--web.telemetry-path", path, "Path of the metrics endpoint (default /metrics)");
    app.add_option("--web.config.file", web_config,
                   "TLS and basic auth for the endpoint (Prometheus exporter-toolkit format)");
    app.add_option("--web.max-connections,--web.max-requests", max_connections,
                   "Connections to the endpoint open at once (default 64; --web.max-requests is its old name)");
    app.add_option("--web.max-connections-per-ip", max_per_ip,
                   "Connections to the endpoint open at once from one client address (default 16)");
    app.add_option("--web.read-timeout-seconds", read_timeout,
                   "Deadline for the TLS handshake and each request head, and for idling (default 10)");
    app.add_option("--target.pid", pids, "Measure only these PIDs (repeatable)");
    app.add_option("--target.comm", comms, "Measure only processes with these names (repeatable)");
    app.add_option("--target.port", ports, "Measure only connections on these local or remote ports");
    app.add_option("--target.cgroup", cgroups, "Measure only processes in these cgroup v2 paths");
    app.add_option("--target.pid-namespace", pidns,
                   "auto (default): only apiscope's PID namespace when it is a container's; host; own");
    app.add_option("--service-name", service, "service_name label for everything measured");
    app.add_option("--routes.max-per-service", max_routes, "Distinct routes per service (default 1000)");
    app.add_option("--bpf-stats", bpf_stats, "Collect kernel BPF run-time statistics (default true)");
    app.add_option("--tls.enabled", tls, "Measure HTTPS through OpenSSL uprobes (default true)");
    app.add_option("--http2.enabled", http2, "Measure HTTP/2 and gRPC (default true)");
    app.add_option("--kubernetes.enabled", kubernetes,
                   "Pod and container names on every series, from the node's cgroups and logs (default true)");
    app.add_option("--kubernetes.labels", k8s_labels,
                   "Which of them, comma-separated (default all: k8s_namespace_name, ..., container_name)")
        ->delimiter(',');
    app.add_option("--genai.enabled", genai, "Read LLM API and MCP calls for GenAI/MCP metrics (default true)");
    app.add_option("--genai.mcp-path", mcp_paths, "Path of an MCP endpoint (repeatable; default /mcp)");
    app.add_option("--access-log.output", log_output,
                   "Write the access log (JSON lines) to stdout or this file; off by default");
    app.add_option("--access-log.sample-ratio", log_sample, "Fraction of requests logged, 0-1 (default 1)");
    app.add_option("--access-log.rate-limit", log_rate, "At most this many log lines per second (0: no limit)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        req.exit_code = app.exit(e);
        return req;
    }
    if (req.version) return req;
    if (!check_file.empty()) {
        req.check_only = true;
        config_file = check_file;
    }
    Config& cfg = req.config;
    if (!config_file.empty()) cfg = load_config_file(config_file);
    if (!listen.empty()) cfg.listen_address = listen;
    if (!path.empty()) cfg.telemetry_path = path;
    if (!web_config.empty()) cfg.web_config_file = web_config;
    if (max_connections) cfg.web_max_connections = *max_connections;
    if (max_per_ip) cfg.web_max_connections_per_ip = *max_per_ip;
    if (read_timeout) cfg.web_read_timeout_seconds = *read_timeout;
    if (!service.empty()) cfg.service_name = service;
    if (!pids.empty()) cfg.targets.pids = pids;
    if (!comms.empty()) cfg.targets.comms = comms;
    if (!ports.empty()) cfg.targets.ports = ports;
    if (!cgroups.empty()) cfg.targets.cgroups = cgroups;
    if (!pidns.empty()) cfg.targets.pid_namespace = pidns;
    if (max_routes) cfg.routes_max_per_service = *max_routes;
    if (bpf_stats) cfg.bpf_stats = *bpf_stats;
    if (tls) cfg.tls_enabled = *tls;
    if (genai) cfg.genai.enabled = *genai;
    if (http2) cfg.http2.enabled = *http2;
    if (kubernetes) cfg.kubernetes.enabled = *kubernetes;
    if (k8s_labels) cfg.kubernetes.labels = *k8s_labels;
    if (!mcp_paths.empty()) cfg.genai.mcp_paths = mcp_paths;
    if (!log_output.empty()) cfg.access_log.output = log_output;
    if (log_sample) cfg.access_log.sample_ratio = *log_sample;
    if (log_rate) cfg.access_log.rate_limit_per_second = *log_rate;
    return req;
}

}  // namespace apiscope
