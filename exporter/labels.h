// Turning kernel enums and raw values into OpenTelemetry-style label values.
#pragma once

#include <cstdint>
#include <string>

namespace apiscope {

std::string method_label(uint8_t method);  // "GET", ..., "_OTHER"
std::string comm_label(const char* comm);  // up to 16 bytes, NUL-padded
std::string address_label(const uint8_t addr[16]);  // IPv4-mapped shown as IPv4
// error_type: empty on success, the status code for 5xx (and 4xx on the
// client side), or why no response came.
std::string error_label(uint8_t error, uint16_t status, bool client);

}  // namespace apiscope
