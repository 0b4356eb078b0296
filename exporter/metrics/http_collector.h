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
    HttpCollector(const BpfProgram& bpf, const Config& cfg, RouteTable& routes, const UserSeries& user,
                  ScrapeStats& stats);
    std::vector<prometheus::MetricFamily> Collect() const override;

private:
    // (service comm, label index, value id) -> label value, read once per scrape
    using LabelTexts = std::map<std::tuple<std::string, uint32_t, uint64_t>, std::string>;
    LabelTexts label_texts() const;

    const BpfProgram& bpf_;
    const Config& cfg_;
    ScrapeStats& stats_;
    RouteTable& routes_;
    const UserSeries& user_;
    mutable std::mutex mu_;  // scrapes may run on several CivetWeb threads
    std::vector<HeaderLabel> header_labels_;
};

}  // namespace apiscope
