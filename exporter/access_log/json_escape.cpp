#include "access_log/json_escape.h"

#include <cstdint>
#include <cstdio>

namespace apiscope {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 (RFC 3629: no overlongs,
// no surrogates, nothing above U+10FFFF).
size_t utf8_len(std::string_view s, size_t i) {
    auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
    auto cont = [&](size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
    uint8_t c = b(0);
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2)) return 0;
        if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F)) return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) return 0;
        if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) > 0x8F)) return 0;
        return 4;
    }
    return 0;
}

bool plain(uint8_t c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; }

}  // namespace

void json_string(std::string& out, std::string_view s) {
    out += '"';
    for (size_t i = 0; i < s.size();) {
        size_t run = i;  // runs of printable ASCII go out in one append
        while (run < s.size() && plain(static_cast<uint8_t>(s[run]))) run++;
        if (run > i) {
            out.append(s.substr(i, run - i));
            i = run;
            continue;
        }
        auto c = static_cast<uint8_t>(s[i]);
        if (c >= 0x80) {
            size_t n = utf8_len(s, i);
            if (n) {
                out.append(s.substr(i, n));
                i += n;
            } else {
                out += "\\ufffd";
                i++;
            }
            continue;
        }
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char buf[8];
                snprintf(buf, sizeof(buf), "\\u%04x", c);
                out += buf;
            } else {
                out += static_cast<char>(c);
            }
        }
        i++;
    }
    out += '"';
}

}  // namespace apiscope
