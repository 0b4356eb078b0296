// apiscope: load the BPF side, serve /metrics, and wait for a signal.
#include <malloc.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <iostream>

#include "access_log/access_log.h"
#include "config/cli.h"
#include "genai/genai_collector.h"
#include "http2/h2_collector.h"
#include "kernel/bpf_program.h"
#include "kernel/privileges.h"
#include "metrics/http_collector.h"
#include "metrics/self_collector.h"
#include "tls/tls_probes.h"
#include "version.h"
#include "web/web_server.h"
#include "workload/workload_meta.h"

using namespace apiscope;

static void check_targets_exist(const Config& cfg) {
    for (auto pid : cfg.targets.pids) {
        struct stat st;
        if (stat(("/proc/" + std::to_string(pid)).c_str(), &st) != 0)
            throw ConfigError("--target.pid " + std::to_string(pid) +
                              ": no such process; give the PID of a running process");
    }
    for (const auto& cg : cfg.targets.cgroups) cgroup_id(cg);
}

int main(int argc, char** argv) {
    // A scrape of many series builds MiBs of families and text, all freed at
    // once: without these the heap keeps its high-water mark, and each web
    // thread's arena its own (bench/scrape_cost.py measures it).
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 20);
    mallopt(M_ARENA_MAX, 2);
    // each probed Go process holds a few dozen uprobe descriptors
    if (rlimit r; getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
    Config cfg;
    WebConfig web;
    std::unique_ptr<TlsCredentials> web_tls;
    try {
        auto req = parse_cli(argc, argv);
        if (req.exit_code) return *req.exit_code;
        if (req.version) {
            std::cout << "apiscope " << APISCOPE_VERSION << "\n";
            return 0;
        }
        cfg = req.config;
        validate(cfg);
        if (req.check_only) {
            std::cout << "apiscope: configuration is valid\n";
            return 0;
        }
        check_targets_exist(cfg);
        if (!cfg.web_config_file.empty()) web = load_web_config(cfg.web_config_file);
        if (web.tls.enabled()) web_tls = std::make_unique<TlsCredentials>(web.tls);
    } catch (const ConfigError& e) {
        std::cerr << "apiscope: config error: " << e.what() << "\n";
        return 2;
    }

    // Signals are taken by sigwait below, never by the server's threads. The
    // no-op handler matters when apiscope is PID 1 of a container: the kernel
    // drops signals that an init process leaves at their default action.
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
    struct sigaction noop = {};
    noop.sa_handler = [](int) {};
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &noop, nullptr);
    // A scraper or log reader that goes away is an error to count, not a reason to die.
    signal(SIGPIPE, SIG_IGN);

    try {
        BpfProgram bpf(cfg);
        // attached: from here on, only what running needs (before any thread)
        auto port = parse_listen_address(cfg.listen_address).port;
        auto why = drop_capabilities(cfg.tls_enabled, cfg.kubernetes.enabled, port > 0 && port < 1024);
        if (!why.empty()) std::cerr << "apiscope: could not drop capabilities (" << why << "); going on\n";
        ScrapeStats stats;
        RouteTable routes(cfg.route_templates, cfg.routes_max_per_service,
                          [&bpf](uint64_t id) { return bpf.route_text(id); });
        WorkloadMeta meta(cfg);
        if (cfg.kubernetes.enabled && !meta.cgroups().has_v2() && !meta.cgroups().has_v1_memory())
            std::cerr << "apiscope: kubernetes: no cgroup filesystem mounted; series get no pod or container "
                         "labels (mount the host's /sys/fs/cgroup, or set --kubernetes.enabled=false)\n";
        std::unique_ptr<AccessLog> log;
        if (cfg.access_log.enabled()) log = std::make_unique<AccessLog>(bpf, cfg, routes, meta);
        UserSeries user(cfg);
        std::vector<std::shared_ptr<prometheus::Collectable>> collectors;
        std::shared_ptr<GenaiCollector> genai;
        if (cfg.genai.enabled) genai = std::make_shared<GenaiCollector>(&bpf, cfg, log.get(), &meta);
        // HTTP/2 first: it drains its ring (HTTP/2's LLM and MCP calls too) before
        // the HTTP and GenAI collectors report
        if (cfg.http2.enabled)
            collectors.push_back(std::make_shared<H2Collector>(&bpf, cfg, routes, user, log.get(), genai.get(), &meta));
        collectors.push_back(std::make_shared<HttpCollector>(bpf, cfg, routes, user, meta, stats));
        collectors.push_back(std::make_shared<SelfCollector>(bpf, cfg, stats, log.get(), meta));
        collectors.push_back(std::make_shared<TlsProbes>(bpf, cfg));
        if (genai) collectors.push_back(genai);
        bool https = web_tls != nullptr;
        WebServer server(cfg.listen_address, cfg.telemetry_path, collectors, web, std::move(web_tls),
                         {cfg.web_max_connections, std::min(cfg.web_max_connections_per_ip, cfg.web_max_connections),
                          cfg.web_read_timeout_seconds});
        std::cerr << "apiscope " << APISCOPE_VERSION << ": serving " << cfg.telemetry_path << " on "
                  << cfg.listen_address << (https ? " (HTTPS)" : "") << "\n";
        int sig = 0;
        while (sigwait(&sigs, &sig) == 0 && sig == SIGHUP)
            if (log) log->reopen();  // logrotate moved the file
        std::cerr << "apiscope: " << strsignal(sig) << ", detaching\n";
    } catch (const BpfError& e) {
        std::cerr << "apiscope: " << e.what() << "\n";
        return 1;
    } catch (const WebError& e) {
        std::cerr << "apiscope: " << e.what() << "\n";
        return 1;
    } catch (const ConfigError& e) {
        std::cerr << "apiscope: config error: " << e.what() << "\n";
        return 2;
    }
    return 0;
}
