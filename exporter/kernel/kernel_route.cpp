#include "kernel/kernel_route.h"

#include <algorithm>

#include "route_norm.h"

namespace apiscope {

namespace {
as_route normalise(const std::string& path) {
    as_window w{};
    as_route r{};
    as_norm g{};
    size_t n = std::min(path.size(), sizeof(w.b));
    std::copy_n(path.data(), n, w.b);
    as_normalize_route(&w, 0, n, &r, &g);
    return r;
}
}  // namespace

std::string kernel_route(const std::string& path) { return normalise(path).text; }

uint64_t kernel_route_hash(const std::string& path) {
    as_route r = normalise(path);
    return as_route_hash(&r);
}

}  // namespace apiscope
