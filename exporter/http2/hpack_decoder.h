// HPACK header blocks of one direction of an HTTP/2 connection, decoded by
// nghttp2's inflater (RFC 7541 is not reimplemented here).
//
// From a connection's first block the table is known and every block is
// decoded: its wanted fields, and all that changes the table (insertions by
// blocks that do not refer to the table kept back until one does, see
// hpack_pending.h). When apiscope cannot know the table (it first saw the
// connection after its start, or records of it were lost), each block is
// split into its field representations (hpack_split.h) and only those that
// do not refer to entries of the unknown part of the table are decoded: the
// static table, literals, and entries inserted since. Fields that do refer
// to it come out as unknown; nothing is ever guessed from a wrong table.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http2/header_list.h"
#include "http2/hpack_pending.h"
#include "http2/hpack_split.h"

struct nghttp2_hd_inflater;

namespace apiscope {

struct DecodedBlock {
    HeaderList fields;
    size_t unknown = 0;  // fields that referred to entries of an unknown table
};

// Why a decoder's table is not known.
enum class TableLoss {
    None,
    Midstream,   // the connection was first seen after its preface
    Lost,        // records of the connection were lost (ring buffer full)
    TooLarge,    // the peer's table grew past http2.max_table_bytes
    DecodeError, // a block did not decode
    Untracked,   // the connection was past http2.max_connections
};

class HpackDecoder {
public:
    // max_table: the most bytes a peer's dynamic table may hold here.
    // wanted, if given (it must outlive the decoder): the only field names
    // that come out; the others are not decoded unless they change the table.
    explicit HpackDecoder(size_t max_table, const std::vector<std::string>* wanted = nullptr);
    ~HpackDecoder();
    HpackDecoder(const HpackDecoder&) = delete;
    HpackDecoder& operator=(const HpackDecoder&) = delete;

    // Forget the table: from now on decode what does not depend on it.
    void lose(TableLoss why);
    TableLoss loss() const { return loss_; }

    // One whole header block (all its fragments, in order).
    DecodedBlock decode(std::string_view block);

private:
    void reset(size_t first_size);
    bool feed(std::string_view bytes, std::vector<HeaderField>* out);
    DecodedBlock decode_partly(std::string_view block);
    DecodedBlock decode_alone(std::string_view block);
    bool table_free() const;
    void insert_later(std::string_view inserts, size_t min);
    bool catch_up();
    size_t dynamic_entries() const;
    bool want(std::string_view name) const;
    // reps_ (the block's) to feed; moved: set if the block changes the table
    std::string_view wanted_block(std::string_view block, bool& moved);

    size_t max_table_;
    nghttp2_hd_inflater* inflater_ = nullptr;
    bool primed_ = false;  // the first block needs a size update before it (see reset)
    size_t first_size_ = 4096;
    TableLoss loss_ = TableLoss::None;
    const std::vector<std::string>* wanted_;
    uint64_t wanted_sizes_ = 0;             // bit n: some wanted name is n bytes long
    std::array<bool, 62> static_wanted_{};  // by static table index
    std::array<uint8_t, 62> static_name_{};  // name lengths, by static table index
    size_t capacity_ = 0;                   // the peer's table size (its last size update)
    PendingInserts pending_;                // insertions the inflater has not seen yet
    std::vector<Rep> reps_;                 // scratch of wanted_block
    std::string kept_;
    // The last block decoded that did not change the table, while the table
    // has not changed since (empty: none), and its fields.
    std::string last_;
    DecodedBlock last_out_;
    // The last block that does not refer to the table (empty: none): its
    // fields and insertions (their bytes and fewest table bytes), which do
    // not depend on the table.
    std::string alone_;
    DecodedBlock alone_out_;
    std::string alone_inserts_;
    size_t alone_min_ = 0;
};

}  // namespace apiscope
