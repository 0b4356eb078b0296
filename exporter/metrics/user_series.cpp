#include "metrics/user_series.h"

namespace apiscope {

UserSeries::UserSeries(const Config& cfg) : bounds_(KernelBounds::of(cfg)), max_(cfg.maps.series) {}

UserSeries::Ref UserSeries::place(bool client, const std::vector<std::string>& labels, const std::string& pod_uid,
                                  bool held) {
    std::unique_lock<std::mutex> lock(mu_, std::defer_lock);
    if (!held) lock.lock();
    SeriesMap& m = client ? client_ : server_;
    auto it = m.find(labels);
    if (it == m.end()) {
        if (server_.size() + client_.size() >= max_) return {nullptr, epoch_};
        it = m.emplace(labels, Agg{}).first;
        pods_.add(pod_uid, &it->first, [&m, it] { m.erase(it); });
    }
    return {&it->second, epoch_};
}

bool UserSeries::observe(const Ref& ref, uint64_t duration_ns, uint64_t req_bytes, uint64_t resp_bytes, bool held) {
    std::unique_lock<std::mutex> lock(mu_, std::defer_lock);
    if (!held) lock.lock();
    if (ref.epoch != epoch_) return false;
    if (ref.agg)
        ref.agg->observe(bounds_, duration_ns, req_bytes, resp_bytes);
    else
        dropped_++;
    return true;
}

void UserSeries::forget_gone_pods(const WorkloadMeta& meta) {
    std::lock_guard<std::mutex> lock(mu_);
    if (pods_.forget_gone(meta)) epoch_++;
}

void UserSeries::merge_into(SeriesMap& server, SeriesMap& client) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [labels, a] : server_) server[labels].add(a);
    for (const auto& [labels, a] : client_) client[labels].add(a);
}

}  // namespace apiscope
