// Route labels, one table for the metrics and the access log so that both
// name a request's route the same way: the text of the kernel's route id
// (read once: ids never change their text), the configured templates, then a
// stable per-service cap. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "metrics/labels.h"

namespace apiscope {

class RouteTable {
public:
    // The text of a kernel route id (nullopt: unknown).
    using Lookup = std::function<std::optional<std::string>(uint64_t id)>;
    RouteTable(const std::vector<std::string>& templates, uint32_t max_per_service, Lookup lookup = {});

    // The first template whose segments match (a "{...}" segment matches any
    // one segment), or the route itself.
    std::string apply_templates(const std::string& route) const;

    // The http_route label for a normalised route of a service. A service keeps
    // the routes it was first seen with, so labels do not change between
    // scrapes; past the cap every new route is kOther.
    std::string label(const std::string& service, const std::string& route);
    // The same for a kernel route id (AS_ROUTE_ID_OVERFLOW, or unknown: kOther).
    std::string label(const std::string& service, uint64_t id);

    // Distinct routes folded into kOther by the cap, all services.
    uint64_t overflowed_routes() const;

private:
    std::string label_locked(const std::string& service, const std::string& route);

    std::vector<std::vector<std::string>> templates_;
    std::vector<std::string> template_text_;
    Lookup lookup_;
    mutable std::mutex mu_;
    ValueCap cap_;
    std::unordered_map<uint64_t, std::string> text_;
    std::set<std::pair<std::string, std::string>> overflowed_;
};

std::vector<std::string> split_path(const std::string& path);

}  // namespace apiscope
