#include "metrics/self_collector.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/utsname.h>

#include <iostream>

#include "apiscope_shared.h"
#include "kernel/capture_rodata.h"
#include "kernel/map_reader.h"
#include "version.h"

namespace apiscope {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily fam(const std::string& name, const std::string& help, MetricType type) {
    MetricFamily f;
    f.name = name;
    f.help = help;
    f.type = type;
    return f;
}

void add(MetricFamily& f, std::vector<ClientMetric::Label> labels, double v) {
    ClientMetric m;
    m.label = std::move(labels);
    if (f.type == MetricType::Counter)
        m.counter.value = v;
    else
        m.gauge.value = v;
    f.metric.push_back(std::move(m));
}

struct CounterName {
    as_counter slot;
    const char* family;  // "dropped" or "parse"
    const char* reason;
};

const CounterName kCounters[] = {
    {AS_CNT_METRICS_MAP_FULL, "dropped", "metrics_map_full"},
    {AS_CNT_ROUTES_MAP_FULL, "dropped", "routes_map_full"},
    {AS_CNT_PIPELINE_OVERFLOW, "dropped", "pipeline_overflow"},
    {AS_CNT_CAPTURE_MAP_FULL, "dropped", "capture_map_full"},
    {AS_CNT_LABEL_VALUES_MAP_FULL, "dropped", "label_values_map_full"},
    {AS_CNT_TLS_NO_FD, "dropped", "tls_socket_unknown"},
    {AS_CNT_EXEC_EVENTS_LOST, "dropped", "tls_exec_events_lost"},
    {AS_CNT_GENAI_MAP_FULL, "dropped", "genai_calls_map_full"},
    {AS_CNT_GENAI_EVENTS_LOST, "dropped", "genai_events_lost"},
    {AS_CNT_H2_RECORDS_LOST, "dropped", "h2_records_lost"},
    {AS_CNT_H2_STREAMS_FULL, "dropped", "h2_streams_map_full"},
    {AS_CNT_H2_FRAMING_LOST, "parse", "h2_framing_lost"},
    {AS_CNT_FRAMING_LOST, "parse", "framing_lost"},
    {AS_CNT_HEAD_TOO_LONG, "parse", "head_too_long"},
    {AS_CNT_TOO_MANY_ITEMS, "parse", "too_many_messages_in_buffer"},
    {AS_CNT_UNMATCHED_RESPONSE, "parse", "unmatched_response"},
    {AS_CNT_NOT_HTTP, "parse", "not_http"},
};

}  // namespace

std::vector<MetricFamily> SelfCollector::Collect() const {
    std::vector<MetricFamily> out;

    auto build = fam("apiscope_build_info", "apiscope build and environment; always 1.", MetricType::Gauge);
    utsname u{};
    uname(&u);
    add(build,
        {{"version", APISCOPE_VERSION},
         {"libbpf_version", std::to_string(libbpf_major_version()) + "." + std::to_string(libbpf_minor_version())},
         {"kernel", u.release}},
        1);
    out.push_back(std::move(build));

    if (cfg_.kubernetes.enabled) {
        auto cg = fam("apiscope_kubernetes_cgroups",
                      "Cgroups whose processes were measured, by what apiscope found them to be: pod, pod_unnamed "
                      "(no log link or pod directory), container, container_unnamed (no runtime API answered), "
                      "other (neither), unresolved (not found in the mounted cgroup tree).",
                      MetricType::Gauge);
        for (const auto& [kind, n] : meta_.cgroups_by_kind()) add(cg, {{"kind", kind}}, n);
        out.push_back(std::move(cg));
    }

    auto runs = fam("apiscope_bpf_program_runs_total",
                    "Times each BPF program ran (kernel BPF stats; 0 with bpf_stats off).", MetricType::Counter);
    auto secs = fam("apiscope_bpf_program_run_seconds_total",
                    "CPU time spent in each BPF program (kernel BPF stats).", MetricType::Counter);
    for (const auto& p : bpf_.program_stats()) {
        add(runs, {{"program", p.name}}, p.run_count);
        add(secs, {{"program", p.name}}, p.run_time_ns / 1e9);
    }
    out.push_back(std::move(runs));
    out.push_back(std::move(secs));

    auto entries = fam("apiscope_bpf_map_entries", "Entries in use per BPF map.", MetricType::Gauge);
    auto capacity = fam("apiscope_bpf_map_capacity", "Maximum entries per BPF map.", MetricType::Gauge);
    for (const auto& m : bpf_.maps()) {
        add(capacity, {{"map", m.name}}, m.capacity);
        if (m.name == "metrics") {  // the HTTP collector, registered first, has just read it
            add(entries, {{"map", m.name}}, stats_.metrics_entries);
            continue;
        }
        bpf_map_info info = {};
        uint32_t len = sizeof(info);
        if (bpf_obj_get_info_by_fd(m.fd, &info, &len) == 0)
            add(entries, {{"map", m.name}}, count_entries(m.fd, info.key_size));
        else
            stats_.errors++;
    }
    out.push_back(std::move(entries));
    out.push_back(std::move(capacity));

    auto dropped = fam("apiscope_events_dropped_total",
                       "Requests not counted, by reason.", MetricType::Counter);
    auto parse = fam("apiscope_parse_failures_total",
                     "Bytes on a connection that could not be framed as HTTP/1 or HTTP/2, by reason.",
                     MetricType::Counter);
    auto overflow = fam("apiscope_route_overflow_requests_total",
                        "Requests counted under http_route=\"_other\" because their service "
                        "reached routes.max_per_service in the kernel.",
                        MetricType::Counter);
    auto folded = fam("apiscope_route_overflow_routes",
                      "Distinct routes folded into \"_other\" by the per-service cap at export.",
                      MetricType::Gauge);
    auto requests = fam("apiscope_requests_observed_total",
                        "Requests counted in the kernel, both sides.", MetricType::Counter);
    auto conns = fam("apiscope_connections_observed_total",
                     "Connections on which HTTP (1.x or 2) was seen.", MetricType::Counter);
    auto label_overflow = fam("apiscope_header_label_overflow_total",
                              "Requests whose header label value was exported as \"_other\" because "
                              "the service reached headers.max_label_values for that header.",
                              MetricType::Counter);
    auto log_dropped = fam("apiscope_access_log_events_dropped_total",
                           "Access log events not written, by reason.", MetricType::Counter);
    try {
        auto c = read_percpu_counters(bpf_.counters_fd(), AS_CNT_MAX);
        auto labels = header_labels(cfg_);
        for (size_t l = 0; l < labels.size(); l++)
            add(label_overflow, {{"header", labels[l].header}}, c[AS_CNT_LABEL_OVERFLOW + l]);
        if (log_) {
            add(log_dropped, {{"reason", "sampled"}}, c[AS_CNT_LOG_SAMPLED] + log_->stats().sampled);
            add(log_dropped, {{"reason", "rate_limited"}}, c[AS_CNT_LOG_RATE_LIMITED] + log_->stats().rate_limited);
            add(log_dropped, {{"reason", "buffer_full"}}, c[AS_CNT_LOG_BUFFER_FULL]);
            add(log_dropped, {{"reason", "write_error"}}, log_->stats().write_errors);
        }
        for (const auto& n : kCounters)
            add(std::string(n.family) == "dropped" ? dropped : parse, {{"reason", n.reason}}, c[n.slot]);
        add(overflow, {}, c[AS_CNT_ROUTE_OVERFLOW]);
        add(requests, {}, c[AS_CNT_REQUESTS]);
        add(conns, {}, c[AS_CNT_CONN_OPENED]);
    } catch (const MapReadError& e) {
        stats_.errors++;
        std::cerr << "apiscope: scrape: " << e.what() << "\n";
    }
    add(folded, {}, stats_.overflowed_routes);
    for (auto* f : {&dropped, &parse, &overflow, &folded, &requests, &conns, &label_overflow, &log_dropped})
        if (!f->metric.empty()) out.push_back(std::move(*f));
    if (log_) {
        auto written = fam("apiscope_access_log_events_total", "Access log lines written.", MetricType::Counter);
        add(written, {}, log_->stats().written);
        auto wakeups = fam("apiscope_access_log_wakeups_total",
                           "Times the access log reader woke up to write a batch of lines.", MetricType::Counter);
        add(wakeups, {}, log_->stats().wakeups);
        out.push_back(std::move(written));
        out.push_back(std::move(wakeups));
    }

    auto series = fam("apiscope_http_series", "HTTP label sets exported by the last scrape.", MetricType::Gauge);
    add(series, {}, stats_.series);
    out.push_back(std::move(series));
    auto dur = fam("apiscope_scrape_duration_seconds",
                   "Time the last scrape took to read the BPF maps and build the HTTP metrics.",
                   MetricType::Gauge);
    add(dur, {}, stats_.last_duration_seconds);
    out.push_back(std::move(dur));
    auto err = fam("apiscope_scrape_errors_total", "Map reads that failed during scrapes.", MetricType::Counter);
    add(err, {}, stats_.errors);
    out.push_back(std::move(err));
    return out;
}

}  // namespace apiscope
