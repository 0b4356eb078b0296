// Header capture as the kernel sees it: the validated config turned into the
// rodata struct, and the header labels in the order of the metric key.
#pragma once

#include <string>
#include <vector>

#include "apiscope_shared.h"
#include "config/config.h"

namespace apiscope {

struct HeaderLabel {
    int dir;              // 0 request, 1 response
    int index;            // in the capture list of that direction
    std::string header;   // lowercase name
    std::string label;    // Prometheus label name: http_request_header_x_tenant
};

// Request labels first, then response labels, each in config order.
std::vector<HeaderLabel> header_labels(const Config& cfg);

// The configured headers, then (with MCP paths) Mcp-Session-Id and
// MCP-Protocol-Version where the user's list leaves room: they are captured
// only for MCP calls unless configured, and never logged unless configured.
as_capture_cfg capture_rodata(const Config& cfg);

// Where capture_rodata put the MCP headers (AS_MAX_HDRS: not captured).
as_genai_hdrs genai_hdrs(const Config& cfg);

}  // namespace apiscope
