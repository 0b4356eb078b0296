#include "http2/hpack_split.h"

namespace apiscope {
namespace {

// An integer with an n-bit prefix at b[*i]; false if cut or past 32 bits.
bool integer(std::string_view b, size_t* i, int n, uint64_t* v) {
    if (*i >= b.size()) return false;
    uint64_t mask = (1u << n) - 1;
    *v = static_cast<uint8_t>(b[(*i)++]) & mask;
    if (*v < mask) return true;
    for (int shift = 0; shift <= 28; shift += 7) {
        if (*i >= b.size()) return false;
        uint8_t c = b[(*i)++];
        *v += uint64_t(c & 0x7f) << shift;
        if (!(c & 0x80)) return *v <= UINT32_MAX;
    }
    return false;
}

// A string literal at b[*i] (its Huffman bit, length, bytes); *min: the
// fewest bytes it decodes to (a Huffman code is at most 30 bits).
bool string(std::string_view b, size_t* i, size_t* min) {
    if (*i >= b.size()) return false;
    bool huffman = static_cast<uint8_t>(b[*i]) & 0x80;
    uint64_t len;
    if (!integer(b, i, 7, &len) || len > b.size() - *i) return false;
    *i += len;
    *min += huffman ? len * 8 / 30 : len;
    return true;
}

}  // namespace

bool split_block(std::string_view b, std::vector<Rep>& out) {
    out.clear();
    size_t i = 0;
    while (i < b.size()) {
        Rep r{};
        r.begin = i;
        uint8_t c = b[i];
        int prefix;
        if (c & 0x80) {
            r.kind = RepKind::Indexed, prefix = 7;
        } else if (c & 0x40) {
            r.kind = RepKind::Incremental, prefix = 6;
        } else if (c & 0x20) {
            r.kind = RepKind::SizeUpdate, prefix = 5;
        } else {
            r.kind = RepKind::Literal, prefix = 4;
        }
        if (!integer(b, &i, prefix, &r.index)) return false;
        if (r.kind == RepKind::Incremental || r.kind == RepKind::Literal) {
            if (r.index == 0 && !string(b, &i, &r.literal_min)) return false;  // the name
            r.value_begin = i;
            if (!string(b, &i, &r.literal_min)) return false;
        }
        r.end = i;
        out.push_back(r);
    }
    return true;
}

std::string hpack_integer(uint64_t v, int n, uint8_t first) {
    uint64_t mask = (1u << n) - 1;
    std::string out;
    if (v < mask) {
        out += static_cast<char>(first | v);
        return out;
    }
    out += static_cast<char>(first | mask);
    for (v -= mask; v >= 0x80; v >>= 7) out += static_cast<char>(0x80 | (v & 0x7f));
    out += static_cast<char>(v);
    return out;
}

}  // namespace apiscope
