#include "metrics/http_collector.h"

#include <bpf/bpf.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <iostream>
#include <limits>
#include <map>

#include "apiscope_shared.h"
#include "kernel/map_reader.h"
#include "metrics/labels.h"

namespace apiscope {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;

const std::vector<std::string> kServerLabels = {"service_name", "http_request_method", "http_route",
                                                "http_response_status_code", "error_type", "url_scheme",
                                                "network_protocol_version"};
const std::vector<std::string> kClientLabels = {
    "service_name", "http_request_method", "http_route", "http_response_status_code", "error_type",
    "url_scheme", "network_protocol_version", "server_address", "server_port"};

// Labels from index `optional` on (a pod's and container's) are left out
// where empty: a process outside any pod has none of them.
ClientMetric histogram(const std::vector<std::string>& names, const std::vector<std::string>& values,
                       size_t optional, const std::vector<double>& bounds, const Buckets& counts, uint64_t total,
                       double sum) {
    ClientMetric m;
    for (size_t i = 0; i < names.size(); i++)
        if (i < optional || !values[i].empty()) m.label.push_back({names[i], values[i]});
    uint64_t cum = 0;
    for (size_t i = 0; i < bounds.size(); i++) {
        cum += counts[i];
        m.histogram.bucket.push_back({cum, bounds[i]});
    }
    m.histogram.bucket.push_back({total, std::numeric_limits<double>::infinity()});
    m.histogram.sample_count = total;
    m.histogram.sample_sum = sum;
    return m;
}

MetricFamily family(const std::string& name, const std::string& help) {
    MetricFamily f;
    f.name = name;
    f.help = help;
    f.type = prometheus::MetricType::Histogram;
    return f;
}

}  // namespace

HttpCollector::HttpCollector(const BpfProgram& bpf, const Config& cfg, RouteTable& routes, UserSeries& user,
                             WorkloadMeta& meta, ScrapeStats& stats)
    : bpf_(bpf),
      cfg_(cfg),
      stats_(stats),
      routes_(routes),
      user_(user),
      meta_(meta),
      header_labels_(header_labels(cfg)) {}

HttpCollector::LabelTexts HttpCollector::label_texts() const {
    LabelTexts out;
    if (header_labels_.empty()) return out;
    auto entries = read_hash_map(bpf_.label_values_fd(), "label_values");
    for (size_t i = 0; i < entries.size(); i++) {
        const auto& k = *static_cast<const as_label_key*>(entries.key(i));
        const auto& v = *static_cast<const as_label_text*>(entries.value(i));
        std::string text(v.text, std::min<size_t>(v.len, sizeof(v.text)));
        if (v.truncated) text += kTruncated;
        out[{comm_label(k.comm), k.label, k.hash}] = std::move(text);
    }
    return out;
}

std::vector<MetricFamily> HttpCollector::Collect() const {
    auto start = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    RawEntries entries;
    LabelTexts texts;
    try {
        entries = read_hash_map(bpf_.metrics_fd(), "metrics");
        texts = label_texts();
    } catch (const MapReadError& e) {
        stats_.errors++;
        std::cerr << "apiscope: scrape: " << e.what() << "\n";
        return {};
    }

    // Several kernel keys can share one label set (templates, --service-name,
    // a pod's containers restarted, processes outside any pod).
    auto labels_of = [&](const as_metric_key& k, const Workload& w) {
        bool is_client = k.direction == AS_DIR_CLIENT;
        std::string service = service_label(cfg_, k.comm);
        std::vector<std::string> labels = {service, method_label(k.method), routes_.label(service, k.route_id),
                                           k.status ? std::to_string(k.status) : "",
                                           error_label(k.error, k.status, is_client),
                                           k.tls ? "https" : "http",
                                           version_label(k.version)};
        if (is_client) {
            labels.push_back(address_label(k.peer_addr));
            labels.push_back(k.peer_port ? std::to_string(k.peer_port) : "");
        }
        for (size_t l = 0; l < header_labels_.size(); l++) {
            uint64_t id = k.labels[l];
            auto it = texts.find({comm_label(k.comm), static_cast<uint32_t>(l), id});
            labels.push_back(id == AS_LABEL_EMPTY ? ""
                             : it != texts.end() ? it->second
                                                 : kOther);
        }
        labels.insert(labels.end(), w.values.begin(), w.values.end());
        return labels;
    };
    // named before the sweep, which forgets the cgroups it retires
    std::vector<std::shared_ptr<const Workload>> where(entries.size());
    for (size_t i = 0; i < entries.size(); i++)
        where[i] = meta_.lookup(static_cast<const as_metric_key*>(entries.key(i))->cgroup);
    auto gone = meta_.sweep();

    SeriesMap server, client;
    for (size_t i = 0; i < entries.size(); i++) {
        const auto& k = *static_cast<const as_metric_key*>(entries.key(i));
        bool is_client = k.direction == AS_DIR_CLIENT;
        auto labels = labels_of(k, *where[i]);
        // a cgroup gone past its grace period: its counts move to user space, so
        // that a pod's restarted container or a process outside pods keeps counting up
        bool retired = std::find(gone.begin(), gone.end(), k.cgroup) != gone.end();
        Agg* agg;
        if (retired) {
            Carried& c = carried_[is_client][labels];
            c.pod_uid = where[i]->pod_uid;
            agg = &c.agg;
        } else {
            agg = &(is_client ? client : server)[labels];
        }
        for (size_t cpu = 0; cpu < entries.cpus; cpu++)
            agg->add(*static_cast<const as_metric_val*>(entries.value(i, cpu)));
        if (retired) bpf_map_delete_elem(bpf_.metrics_fd(), &k);
    }
    // a gone pod's series go with its last cgroup
    for (auto& side : carried_)
        std::erase_if(side, [&](const auto& kv) {
            return !kv.second.pod_uid.empty() && !meta_.pod_live(kv.second.pod_uid);
        });
    user_.forget_gone_pods(meta_);
    for (const auto& [labels, c] : carried_[0]) server[labels].add(c.agg);
    for (const auto& [labels, c] : carried_[1]) client[labels].add(c.agg);
    user_.merge_into(server, client);

    std::vector<MetricFamily> out;
    const auto& db = cfg_.duration_buckets;
    const auto& sb = cfg_.size_buckets;
    for (auto side : {std::make_pair("server", &server), std::make_pair("client", &client)}) {
        std::string p = std::string("http_") + side.first;
        auto names = side.second == &server ? kServerLabels : kClientLabels;
        for (const auto& l : header_labels_) names.push_back(l.label);
        size_t optional = names.size();
        names.insert(names.end(), meta_.names().begin(), meta_.names().end());
        auto dur = family(p + "_request_duration_seconds",
                          std::string("Duration of HTTP ") + side.first + " requests.");
        auto req = family(p + "_request_body_size_bytes", "Size of HTTP request bodies.");
        auto resp = family(p + "_response_body_size_bytes", "Size of HTTP response bodies.");
        for (const auto& [labels, a] : *side.second) {
            dur.metric.push_back(histogram(names, labels, optional, db, a.duration, a.count, a.duration_ns / 1e9));
            req.metric.push_back(histogram(names, labels, optional, sb, a.req_size, a.count, a.req_bytes));
            resp.metric.push_back(histogram(names, labels, optional, sb, a.resp_size, a.count, a.resp_bytes));
        }
        for (auto* f : {&dur, &req, &resp})
            if (!f->metric.empty()) out.push_back(std::move(*f));
    }
    stats_.series = server.size() + client.size();
    stats_.metrics_entries = entries.size();
    stats_.overflowed_routes = routes_.overflowed_routes();
    stats_.last_duration_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
}

}  // namespace apiscope
