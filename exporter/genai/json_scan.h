// Reading JSON the kernel copied in bounded windows: a small parser for
// whole documents (a JSON-RPC message) and key searches that work on cut
// pieces (the head and tail of a stream). Both only read; neither throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace apiscope {

struct JsonValue {
    enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
    bool b = false;
    double num = 0;
    std::string str;  // String; Number: its text
    std::vector<JsonValue> items;   // Array; Object: the values, in order
    std::vector<std::string> keys;  // Object: the keys of items

    const JsonValue* get(std::string_view key) const;  // Object member, or null
    std::optional<std::string> string_at(std::string_view key) const;
};

// The document in text (blanks around it allowed), or none if it is not
// exactly one valid JSON value. Depth is bounded.
std::optional<JsonValue> json_parse(std::string_view text);

// Key searches over text that may be cut anywhere. A key is `"name"` not
// inside a string (a quote preceded by a backslash is not one), followed by
// a colon; the value must have the asked type, else the next is tried.
std::optional<std::string> json_first_string(std::string_view text, std::string_view key);
std::optional<bool> json_first_bool(std::string_view text, std::string_view key);
std::optional<int64_t> json_last_int(std::string_view text, std::string_view key);

}  // namespace apiscope
