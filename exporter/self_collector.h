// apiscope_* self-metrics: build info, BPF program cost, map fill, what was
// dropped or could not be parsed, and the cost of the last scrape.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "bpf_program.h"
#include "http_collector.h"

namespace apiscope {

class SelfCollector : public prometheus::Collectable {
public:
    SelfCollector(const BpfProgram& bpf, ScrapeStats& stats) : bpf_(bpf), stats_(stats) {}
    std::vector<prometheus::MetricFamily> Collect() const override;

private:
    const BpfProgram& bpf_;
    ScrapeStats& stats_;
};

}  // namespace apiscope
