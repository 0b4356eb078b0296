// Route labels: configured templates first, then a stable per-service cap.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace apiscope {

inline constexpr const char* kOverflowRoute = "_other";

class RouteTable {
public:
    RouteTable(const std::vector<std::string>& templates, uint32_t max_per_service);

    // The first template whose segments match (a "{...}" segment matches any
    // one segment), or the route itself.
    std::string apply_templates(const std::string& route) const;

    // The http_route label for a normalised route of a service. A service keeps
    // the routes it was first seen with, so labels do not change between
    // scrapes; past the cap every new route is kOverflowRoute.
    std::string label(const std::string& service, const std::string& route);

    // Distinct routes folded into kOverflowRoute by the cap, all services.
    uint64_t overflowed_routes() const { return overflowed_.size(); }

private:
    std::vector<std::vector<std::string>> templates_;
    std::vector<std::string> template_text_;
    uint32_t max_per_service_;
    std::map<std::string, std::set<std::string>> admitted_;
    std::set<std::pair<std::string, std::string>> overflowed_;
};

std::vector<std::string> split_path(const std::string& path);

}  // namespace apiscope
