// Series kept in user space that belong to a pod: removed once the pod is
// gone and its grace period over (WorkloadMeta::pod_live). Not thread-safe:
// its owner's lock covers it.
#pragma once

#include <prometheus/family.h>

#include <functional>
#include <map>
#include <string>
#include <utility>

#include "workload/workload_meta.h"

namespace apiscope {

class PodSeries {
public:
    // series: what tells this one apart (its metric's address); remove: drops
    // it. A series the same labels give two pods (a StatefulSet's pod made
    // again under its name) belongs to the one that used it last.
    void add(const std::string& pod_uid, const void* series, std::function<void()> remove) {
        if (pod_uid.empty()) return;
        auto [owner, inserted] = owner_.try_emplace(series, pod_uid);
        if (!inserted && owner->second != pod_uid) {
            auto& old = by_pod_[owner->second];
            auto it = old.find(series);
            if (it != old.end()) {
                remove = std::move(it->second);
                old.erase(it);
            }
            owner->second = pod_uid;
        }
        by_pod_[pod_uid].try_emplace(series, std::move(remove));
    }
    // A family's series with the workload's labels added (meta null: none),
    // kept as its pod's and removed from the family with it.
    template <typename T, typename... Args>
    T& series(prometheus::Family<T>* f, std::map<std::string, std::string> labels, const WorkloadMeta* meta,
              const Workload& w, Args&&... args) {
        if (meta)
            for (auto& [name, value] : meta->labels(w)) labels[name] = value;
        T& m = f->Add(labels, std::forward<Args>(args)...);
        add(w.pod_uid, &m, [f, &m] { f->Remove(&m); });
        return m;
    }
    // True if any series was removed.
    bool forget_gone(const WorkloadMeta& meta) {
        bool removed = false;
        for (auto it = by_pod_.begin(); it != by_pod_.end();) {
            if (meta.pod_live(it->first)) {
                ++it;
                continue;
            }
            for (auto& [series, remove] : it->second) {
                remove();
                owner_.erase(series);
                removed = true;
            }
            it = by_pod_.erase(it);
        }
        return removed;
    }

private:
    std::map<std::string, std::map<const void*, std::function<void()>>> by_pod_;
    std::map<const void*, std::string> owner_;
};

}  // namespace apiscope
