// apiscope_* self-metrics: build info, BPF program cost, map fill, what was
// dropped or could not be parsed, and the cost of the last scrape.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "access_log/access_log.h"
#include "kernel/bpf_program.h"
#include "metrics/http_collector.h"

namespace apiscope {

class SelfCollector : public prometheus::Collectable {
public:
    // log: the access log, or nullptr when it is off
    SelfCollector(const BpfProgram& bpf, const Config& cfg, ScrapeStats& stats, const AccessLog* log,
                  const WorkloadMeta& meta)
        : bpf_(bpf), cfg_(cfg), stats_(stats), log_(log), meta_(meta) {}
    std::vector<prometheus::MetricFamily> Collect() const override;

private:
    const BpfProgram& bpf_;
    const Config& cfg_;
    ScrapeStats& stats_;
    const AccessLog* log_;
    const WorkloadMeta& meta_;
};

}  // namespace apiscope
