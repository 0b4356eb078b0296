// JSON string escaping for bytes that come off the wire: quotes, control
// bytes and invalid UTF-8 (replaced by U+FFFD) never break a log line.
#pragma once

#include <string>
#include <string_view>

namespace apiscope {

// Appends s as a quoted JSON string.
void json_string(std::string& out, std::string_view s);

}  // namespace apiscope
