// HTTP series counted in user space (HTTP/2 requests, whose headers only the
// exporter decodes), keyed by the label values the HTTP collector builds from
// kernel keys, so that a scrape merges both into one series per label set.
// Bounded like the kernel's map (maps.series); thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/histogram_agg.h"
#include "workload/pod_series.h"

namespace apiscope {

using SeriesMap = std::map<std::vector<std::string>, Agg>;

class UserSeries {
public:
    explicit UserSeries(const Config& cfg);
    // A series' place, for a caller to keep and count into without building
    // its labels again. It stays valid until series are removed (pods gone).
    struct Ref {
        Agg* agg = nullptr;  // null: the series bound was reached
        uint64_t epoch = 0;
    };
    // For a thread about to count many requests: while it holds this, it
    // passes held to the calls below, which then take no lock of their own.
    std::unique_lock<std::mutex> hold() const { return std::unique_lock<std::mutex>(mu_); }
    // pod_uid: the pod the series belongs to ("" none), dropped when it is gone
    Ref place(bool client, const std::vector<std::string>& labels, const std::string& pod_uid, bool held = false);
    // One request into ref's series (past the bound: counted as dropped).
    // False if ref is no longer valid: place() again.
    bool observe(const Ref& ref, uint64_t duration_ns, uint64_t req_bytes, uint64_t resp_bytes, bool held = false);
    void forget_gone_pods(const WorkloadMeta& meta);
    // Adds every series to the scrape's server and client maps.
    void merge_into(SeriesMap& server, SeriesMap& client) const;
    uint64_t dropped() const { return dropped_; }  // requests past the series bound

private:
    KernelBounds bounds_;
    size_t max_;
    mutable std::mutex mu_;
    SeriesMap server_, client_;
    PodSeries pods_;
    uint64_t epoch_ = 0;  // counts removals of series, which end Refs
    std::atomic<uint64_t> dropped_{0};
};

}  // namespace apiscope
