#include "kernel/capture_rodata.h"

#include <cstring>

#include "config/redact.h"

namespace apiscope {

std::vector<HeaderLabel> header_labels(const Config& cfg) {
    std::vector<HeaderLabel> out;
    for (int dir = 0; dir < 2; dir++) {
        const auto& list = dir ? cfg.headers.response : cfg.headers.request;
        for (size_t i = 0; i < list.size(); i++) {
            if (!list[i].label) continue;
            std::string label = std::string(dir ? "http_response_header_" : "http_request_header_");
            for (char c : list[i].name) label += isalnum(static_cast<unsigned char>(c)) ? c : '_';
            out.push_back({dir, static_cast<int>(i), list[i].name, label});
        }
    }
    return out;
}

namespace {

// The configured list of a direction, with the MCP headers it lacks after it.
std::vector<HeaderSpec> capture_list(const Config& cfg, int dir) {
    auto list = dir ? cfg.headers.response : cfg.headers.request;
    if (!cfg.genai.enabled || cfg.genai.mcp_paths.empty()) return list;
    for (const char* name : {"mcp-session-id", "mcp-protocol-version"}) {
        if (dir && std::string(name) == "mcp-protocol-version") continue;
        bool have = false;
        for (const auto& h : list) have |= h.name == name;
        if (!have && list.size() < AS_MAX_HDRS) list.push_back({name, false});
    }
    return list;
}

uint8_t index_of(const std::vector<HeaderSpec>& list, const char* name) {
    for (size_t i = 0; i < list.size(); i++)
        if (list[i].name == name) return i;
    return AS_MAX_HDRS;
}

}  // namespace

as_genai_hdrs genai_hdrs(const Config& cfg) {
    as_genai_hdrs g = {};
    auto req = capture_list(cfg, 0), resp = capture_list(cfg, 1);
    g.session[0] = index_of(req, "mcp-session-id");
    g.session[1] = index_of(resp, "mcp-session-id");
    g.proto = index_of(req, "mcp-protocol-version");
    if (!cfg.genai.enabled || cfg.genai.mcp_paths.empty()) g.session[0] = g.session[1] = g.proto = AS_MAX_HDRS;
    return g;
}

as_capture_cfg capture_rodata(const Config& cfg) {
    as_capture_cfg c = {};
    bool drop_secrets = cfg.headers.redact == "drop";
    for (int dir = 0; dir < 2; dir++) {
        const auto list = capture_list(cfg, dir);
        for (size_t k = 0; k < list.size() && k < AS_MAX_HDRS; k++) {
            auto& h = c.hdr[dir][k];
            memcpy(h.name, list[k].name.data(), std::min(list[k].name.size(), sizeof(h.name)));
            h.len = list[k].name.size();
            if (drop_secrets && is_sensitive_name(list[k].name, cfg.headers.sensitive))
                h.flags |= AS_HDR_PRESENCE_ONLY;  // the kernel never copies the value
            c.first_chars[dir] |= 1ULL << ((list[k].name[0] | 0x20) & 63);
        }
        c.n[dir] = list.size();
    }
    auto labels = header_labels(cfg);
    for (size_t l = 0; l < labels.size() && l < AS_MAX_LABELS; l++) {
        c.labels[l].dir = labels[l].dir;
        c.labels[l].hdr = labels[l].index;
        c.labels[l].product = labels[l].header == "user-agent";
    }
    c.n_labels = labels.size();
    c.value_max = cfg.headers.value_max_bytes;
    c.include_query = cfg.access_log.include_query;
    return c;
}

}  // namespace apiscope
