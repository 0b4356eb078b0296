// Turns the kernel's aggregated request map into the OpenTelemetry HTTP
// histograms, at scrape time. Nothing here runs per request.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <atomic>
#include <map>
#include <tuple>
#include <mutex>
#include <string>

#include "config/config.h"
#include "kernel/bpf_program.h"
#include "kernel/capture_rodata.h"
#include "metrics/route_table.h"
#include "metrics/user_series.h"
#include "workload/workload_meta.h"

namespace apiscope {

// What the HTTP collector tells the self-metrics collector.
struct ScrapeStats {
    std::atomic<double> last_duration_seconds{0};
    std::atomic<uint64_t> errors{0};
    std::atomic<uint64_t> series{0};
    std::atomic<uint64_t> metrics_entries{0};  // kernel keys read, so nobody walks the map again
    std::atomic<uint64_t> overflowed_routes{0};
};

class HttpCollector : public prometheus::Collectable {
public:
    // routes: shared with the access log; user: series counted in user space
    // (HTTP/2), merged with the kernel's
    HttpCollector(const BpfProgram& bpf, const Config& cfg, RouteTable& routes, UserSeries& user,
                  WorkloadMeta& meta, ScrapeStats& stats);
    std::vector<prometheus::MetricFamily> Collect() const override;

private:
    // (service comm, label index, value id) -> label value, read once per scrape
    using LabelTexts = std::map<std::tuple<std::string, uint32_t, uint64_t>, std::string>;
    LabelTexts label_texts() const;

    // What the kernel counted for cgroups gone past their grace period.
    struct Carried {
        Agg agg;
        std::string pod_uid;  // dropped once that pod is gone
    };

    const BpfProgram& bpf_;
    const Config& cfg_;
    ScrapeStats& stats_;
    RouteTable& routes_;
    UserSeries& user_;
    WorkloadMeta& meta_;
    mutable std::mutex mu_;  // scrapes may come on several connections
    mutable std::map<std::vector<std::string>, Carried> carried_[2];  // [client]
    std::vector<HeaderLabel> header_labels_;
};

}  // namespace apiscope
