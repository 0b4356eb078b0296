// Turning kernel enums and raw values into OpenTelemetry-style label values,
// and the one rule that bounds every label a peer controls.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "config/config.h"

namespace apiscope {

inline constexpr const char* kOther = "_other";        // a value past its cap
inline constexpr const char* kTruncated = "\u2026";  // ends a value cut at its length limit

std::string method_label(uint8_t method);  // "GET", ..., "_OTHER"
uint8_t method_of(std::string_view name);    // enum as_method of a method's name (AS_METHOD_OTHER)
std::string version_label(uint8_t version);  // network_protocol_version: "1.0", "1.1", "2" ("" unknown)
std::string comm_label(const char* comm);  // up to 16 bytes, NUL-padded
// service_name: --service-name, or the process's name.
std::string service_label(const Config& cfg, std::string_view comm);
std::string service_label(const Config& cfg, const char* comm);  // a kernel comm field
std::string address_label(const uint8_t addr[16]);  // IPv4-mapped shown as IPv4
// error_type: empty on success, the status code for 5xx (and 4xx on the
// client side), or why no response came: connection_closed, or an HTTP/2
// RST_STREAM's error code (h2_code) by its name, lowercase (cancel, ...).
std::string error_label(uint8_t error, uint16_t status, bool client, uint32_t h2_code = 0);
// An HTTP/2 error code's name (RFC 9113 section 7), as in error_type.
std::string h2_error_name(uint32_t code);
inline constexpr const char* kUnknown = "_unknown";  // a value apiscope could not know

// The first `cap` distinct values of each scope (a service, a service's
// side) keep their own label; later values are kOther. A value once admitted
// stays, so a label does not change between scrapes. Not thread-safe.
class ValueCap {
public:
    explicit ValueCap(uint32_t cap) : cap_(cap) {}
    // value, or kOther past the cap; "" stays "" (nothing to bound).
    std::string admit(const std::string& scope, const std::string& value);

private:
    uint32_t cap_;
    std::map<std::string, std::set<std::string>> admitted_;
};

}  // namespace apiscope
