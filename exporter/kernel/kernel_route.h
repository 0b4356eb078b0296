// The route the kernel makes of a request path, and its hash, computed by
// the kernel's own normaliser (ebpf/route_norm.h compiled here), so that
// routes the exporter marks in BPF maps match what the kernel looks up.
#pragma once

#include <cstdint>
#include <string>

namespace apiscope {

std::string kernel_route(const std::string& path);
uint64_t kernel_route_hash(const std::string& path);

}  // namespace apiscope
