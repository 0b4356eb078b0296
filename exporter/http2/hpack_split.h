// The field representations of an HPACK header block (RFC 7541 section 6):
// where each begins and ends, its kind, and the table index it refers to.
// Only a block's framing (prefix integers, string lengths): decoding stays
// nghttp2's. Used when a connection's table is not known, to decode the
// fields that do not depend on it one by one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace apiscope {

enum class RepKind {
    Indexed,      // an indexed field (6.1)
    Incremental,  // a literal added to the table (6.2.1)
    Literal,      // a literal not added: without or never indexed (6.2.2, 6.2.3)
    SizeUpdate,   // a dynamic table size update (6.3)
};

struct Rep {
    RepKind kind;
    size_t begin, end;   // bytes of the block
    uint64_t index;      // the field (Indexed) or name (literals) index, 0: a literal name; SizeUpdate: the size
    size_t value_begin;  // literals: where the value string begins
    size_t literal_min;  // literals: the fewest bytes their strings (name if literal, value) decode to
};

// Splits block; false if it is cut or malformed (an integer or a string
// running past the end, an integer past 32 bits).
bool split_block(std::string_view block, std::vector<Rep>& out);

// An integer with an n-bit prefix whose first byte carries `first` in its
// other bits (RFC 7541 5.1).
std::string hpack_integer(uint64_t v, int n, uint8_t first);

}  // namespace apiscope
