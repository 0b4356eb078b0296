#include "metrics/route_table.h"

#include "apiscope_shared.h"

namespace apiscope {

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> segs;
    size_t start = path.empty() || path[0] != '/' ? 0 : 1;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        segs.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return segs;
}

static bool is_placeholder(const std::string& seg) {
    return seg.size() >= 2 && seg.front() == '{' && seg.back() == '}';
}

RouteTable::RouteTable(const std::vector<std::string>& templates, uint32_t max_per_service, Lookup lookup)
    : template_text_(templates), lookup_(std::move(lookup)), cap_(max_per_service) {
    for (const auto& t : templates) templates_.push_back(split_path(t));
}

std::string RouteTable::apply_templates(const std::string& route) const {
    if (templates_.empty()) return route;
    auto segs = split_path(route);
    for (size_t t = 0; t < templates_.size(); t++) {
        const auto& tpl = templates_[t];
        if (tpl.size() != segs.size()) continue;
        bool ok = true;
        for (size_t i = 0; ok && i < tpl.size(); i++)
            ok = is_placeholder(tpl[i]) || tpl[i] == segs[i];
        if (ok) return template_text_[t];
    }
    return route;
}

std::string RouteTable::label_locked(const std::string& service, const std::string& route) {
    if (route == kOther) return route;
    auto templated = apply_templates(route);
    auto label = cap_.admit(service, templated);
    if (label == kOther) overflowed_.emplace(service, templated);
    return label;
}

std::string RouteTable::label(const std::string& service, const std::string& route) {
    std::lock_guard<std::mutex> lock(mu_);
    return label_locked(service, route);
}

std::string RouteTable::label(const std::string& service, uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    if (id == AS_ROUTE_ID_OVERFLOW) return kOther;
    auto it = text_.find(id);
    if (it == text_.end()) {
        auto text = lookup_ ? lookup_(id) : std::nullopt;
        if (!text) return kOther;
        it = text_.emplace(id, *text).first;
    }
    return label_locked(service, it->second);
}

uint64_t RouteTable::overflowed_routes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return overflowed_.size();
}

}  // namespace apiscope
