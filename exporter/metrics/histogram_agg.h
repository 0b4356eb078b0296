// HTTP histograms as the kernel keeps them (struct as_metric_val): per-bucket
// counts over the configured bounds, sums beside them. Requests counted in
// user space (HTTP/2) are added the same way, so both merge into one series.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "apiscope_shared.h"
#include "config/config.h"

namespace apiscope {

using Buckets = std::array<uint64_t, AS_BUCKETS>;

// The bounds in the kernel's units (ns, bytes), as written to its rodata.
struct KernelBounds {
    std::vector<uint64_t> duration_ns, size;
    static KernelBounds of(const Config& cfg);
    // The kernel's bucket of v: the first bound v does not exceed, or +Inf.
    static size_t bucket(const std::vector<uint64_t>& bounds, uint64_t v);
};

struct Agg {
    uint64_t count = 0, duration_ns = 0, req_bytes = 0, resp_bytes = 0;
    Buckets duration{}, req_size{}, resp_size{};

    void add(const as_metric_val& v);
    void add(const Agg& a);
    void observe(const KernelBounds& b, uint64_t duration_ns, uint64_t req_bytes, uint64_t resp_bytes);
};

}  // namespace apiscope
