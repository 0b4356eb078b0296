#include "metrics/histogram_agg.h"

#include <cmath>

namespace apiscope {

KernelBounds KernelBounds::of(const Config& cfg) {
    KernelBounds b;
    for (double s : cfg.duration_buckets) b.duration_ns.push_back(static_cast<uint64_t>(std::llround(s * 1e9)));
    for (double s : cfg.size_buckets) b.size.push_back(static_cast<uint64_t>(std::floor(s)));
    return b;
}

size_t KernelBounds::bucket(const std::vector<uint64_t>& bounds, uint64_t v) {
    size_t i = 0;
    while (i < bounds.size() && v > bounds[i]) i++;
    return i < AS_BUCKETS ? i : AS_BUCKETS - 1;
}

void Agg::add(const as_metric_val& v) {
    count += v.count;
    duration_ns += v.duration_ns_sum;
    req_bytes += v.req_bytes_sum;
    resp_bytes += v.resp_bytes_sum;
    for (size_t i = 0; i < AS_BUCKETS; i++) {
        duration[i] += v.duration_bucket[i];
        req_size[i] += v.req_size_bucket[i];
        resp_size[i] += v.resp_size_bucket[i];
    }
}

void Agg::add(const Agg& a) {
    count += a.count;
    duration_ns += a.duration_ns;
    req_bytes += a.req_bytes;
    resp_bytes += a.resp_bytes;
    for (size_t i = 0; i < AS_BUCKETS; i++) {
        duration[i] += a.duration[i];
        req_size[i] += a.req_size[i];
        resp_size[i] += a.resp_size[i];
    }
}

void Agg::observe(const KernelBounds& b, uint64_t d, uint64_t req, uint64_t resp) {
    count++;
    duration_ns += d;
    req_bytes += req;
    resp_bytes += resp;
    duration[KernelBounds::bucket(b.duration_ns, d)]++;
    req_size[KernelBounds::bucket(b.size, req)]++;
    resp_size[KernelBounds::bucket(b.size, resp)]++;
}

}  // namespace apiscope
