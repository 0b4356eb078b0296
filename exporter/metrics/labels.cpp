#include "metrics/labels.h"

#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "apiscope_shared.h"

namespace apiscope {

std::string method_label(uint8_t method) {
    static const char* names[AS_METHOD_COUNT] = {"_OTHER", "GET",     "HEAD",    "POST",  "PUT",
                                                 "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
    return method < AS_METHOD_COUNT ? names[method] : "_OTHER";
}

uint8_t method_of(std::string_view name) {
    for (uint8_t m = 1; m < AS_METHOD_COUNT; m++)
        if (method_label(m) == name) return m;
    return AS_METHOD_OTHER;
}

std::string version_label(uint8_t version) {
    switch (version) {
    case AS_VER_1_0: return "1.0";
    case AS_VER_1_1: return "1.1";
    case AS_VER_2: return "2";
    default: return "";
    }
}

std::string comm_label(const char* comm) {
    return std::string(comm, strnlen(comm, AS_COMM_LEN));
}

std::string service_label(const Config& cfg, std::string_view comm) {
    return cfg.service_name.empty() ? std::string(comm) : cfg.service_name;
}

std::string service_label(const Config& cfg, const char* comm) {
    return cfg.service_name.empty() ? comm_label(comm) : cfg.service_name;
}

std::string address_label(const uint8_t addr[16]) {
    static const uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char buf[INET6_ADDRSTRLEN] = {};
    static const uint8_t zero[16] = {};
    if (!memcmp(addr, zero, 16)) return "";
    if (memcmp(addr, v4_prefix, 12)) {
        inet_ntop(AF_INET6, addr, buf, sizeof(buf));
        return buf;
    }
    // dotted quad by hand: glibc's inet_ntop prints IPv4 through sprintf, a
    // cost the access log pays per line (bench/soak.py measures the log)
    std::string quad = std::to_string(addr[12]);
    for (int i = 13; i < 16; i++) (quad += '.') += std::to_string(addr[i]);
    return quad;
}

std::string h2_error_name(uint32_t code) {
    static const char* names[] = {"no_error",          "protocol_error", "internal_error",     "flow_control_error",
                                  "settings_timeout",  "stream_closed",  "frame_size_error",   "refused_stream",
                                  "cancel",            "compression_error", "connect_error",   "enhance_your_calm",
                                  "inadequate_security", "http_1_1_required"};
    return code < sizeof(names) / sizeof(names[0]) ? names[code] : "unknown_error";
}

std::string error_label(uint8_t error, uint16_t status, bool client, uint32_t h2_code) {
    if (error == AS_ERR_CONN_CLOSED) return "connection_closed";
    if (error == AS_ERR_H2_RESET) return h2_error_name(h2_code);
    if (status >= 500 || (client && status >= 400)) return std::to_string(status);
    return "";
}

std::string ValueCap::admit(const std::string& scope, const std::string& value) {
    if (value.empty()) return value;
    auto& seen = admitted_[scope];
    if (seen.count(value)) return value;
    if (seen.size() >= cap_) return kOther;
    seen.insert(value);
    return value;
}

}  // namespace apiscope
