#include "http2/hpack_decoder.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>

namespace apiscope {
namespace {

constexpr size_t kStaticEntries = 61;
constexpr size_t kDefaultTable = 4096;  // SETTINGS_HEADER_TABLE_SIZE's initial value
constexpr size_t kMaxRemembered = 512;  // a header block decode() remembers, at most
constexpr size_t kPendingTables = 4;    // insertions kept back, at most, in tables' worth of bytes
// What a field whose name is not known is put in the table as, so that the
// positions of the entries after it stay right. No real field has this name:
// pseudo-header names are fixed.
constexpr std::string_view kUnknownName = ":unknown";

}  // namespace

HpackDecoder::HpackDecoder(size_t max_table, const std::vector<std::string>* wanted)
    : max_table_(max_table), wanted_(wanted) {
    wanted_sizes_ = uint64_t(1) << kUnknownName.size();
    if (wanted)
        for (const auto& n : *wanted)
            if (n.size() < 64) wanted_sizes_ |= uint64_t(1) << n.size();
    reset(kDefaultTable);
    for (size_t i = 1; i <= kStaticEntries && inflater_; i++) {
        const nghttp2_nv* nv = nghttp2_hd_inflate_get_table_entry(inflater_, i);
        static_wanted_[i] = nv && want({reinterpret_cast<const char*>(nv->name), nv->namelen});
        static_name_[i] = nv ? nv->namelen : 0;
    }
}

bool HpackDecoder::want(std::string_view name) const {
    if (!wanted_) return true;
    if (name.size() < 64 && !((wanted_sizes_ >> name.size()) & 1)) return false;  // most names, at once
    return name == kUnknownName || std::find(wanted_->begin(), wanted_->end(), name) != wanted_->end();
}

// The block without the representations that neither change the table nor
// give a wanted field (indexed ones and literals not indexed, under a name
// not wanted): the inflater decodes only the rest, the same table results.
std::string_view HpackDecoder::wanted_block(std::string_view block, bool& moved) {
    kept_.clear();
    moved = false;  // the block changed the table: its dynamic indexes no longer match the inflater's
    for (const auto& r : reps_) {
        if ((r.kind == RepKind::Indexed || r.kind == RepKind::Literal) && r.index > 0) {
            if (r.index <= kStaticEntries) {
                if (!static_wanted_[r.index]) continue;
            } else if (const nghttp2_nv* nv = moved ? nullptr : nghttp2_hd_inflate_get_table_entry(inflater_, r.index)) {
                if (!want({reinterpret_cast<const char*>(nv->name), nv->namelen})) continue;
            }  // else kept: the inflater knows (or says it is past the table)
        } else if (r.kind == RepKind::Incremental || r.kind == RepKind::SizeUpdate) {
            moved = true;
            if (r.kind == RepKind::SizeUpdate) capacity_ = r.index;  // if the block fails, reset() sets it again
        }
        kept_.append(block.substr(r.begin, r.end - r.begin));
    }
    return kept_;
}

HpackDecoder::~HpackDecoder() {
    if (inflater_) nghttp2_hd_inflate_del(inflater_);
}

// A fresh inflater that accepts the peer's size updates up to max_table_.
// nghttp2 then wants a size update at the start of the next block; a peer
// sends one only when its table is not the default size, so decode()
// supplies one saying the size the peer's table has (first_size).
void HpackDecoder::reset(size_t first_size) {
    if (inflater_) nghttp2_hd_inflate_del(inflater_);
    inflater_ = nullptr;
    nghttp2_hd_inflate_new(&inflater_);
    if (inflater_) nghttp2_hd_inflate_change_table_size(inflater_, max_table_);
    primed_ = false;
    first_size_ = std::min(first_size, max_table_);
    capacity_ = first_size_;
    pending_.clear();
    last_.clear();
}

size_t HpackDecoder::dynamic_entries() const {
    size_t n = inflater_ ? nghttp2_hd_inflate_get_num_table_entries(inflater_) : 0;
    return n > kStaticEntries ? n - kStaticEntries : 0;
}

bool HpackDecoder::feed(std::string_view in, std::vector<HeaderField>* out) {
    if (!inflater_) return false;
    std::string primed;
    if (!primed_) {
        primed_ = true;
        if (in.empty() || (static_cast<uint8_t>(in[0]) & 0xe0) != 0x20) {
            primed = hpack_integer(first_size_, 5, 0x20);
            primed.append(in);
            in = primed;
        }
    }
    auto* p = reinterpret_cast<const uint8_t*>(in.data());
    size_t left = in.size();
    for (;;) {
        nghttp2_nv nv;
        int flags = 0;
        ssize_t rv = nghttp2_hd_inflate_hd2(inflater_, &nv, &flags, p, left, 1);
        if (rv < 0) return false;
        p += rv;
        left -= static_cast<size_t>(rv);
        std::string_view name(reinterpret_cast<char*>(nv.name), nv.namelen);
        // with the table known, the stand-in name can only be the peer's own
        // (a malformed pseudo-header): dropped, so that it is never taken for one
        if ((flags & NGHTTP2_HD_INFLATE_EMIT) && out && want(name) &&
            (loss_ != TableLoss::None || name != kUnknownName))
            out->push_back({std::string(name), std::string(reinterpret_cast<char*>(nv.value), nv.valuelen)});
        if (flags & NGHTTP2_HD_INFLATE_FINAL) {
            nghttp2_hd_inflate_end_headers(inflater_);
            return true;
        }
        if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && !left) return false;
    }
}

void HpackDecoder::lose(TableLoss why) {
    loss_ = why;
    // the peer's table may be up to max_table_: keep as many of the entries
    // inserted from now on
    reset(max_table_);
}

DecodedBlock HpackDecoder::decode(std::string_view block) {
    if (loss_ != TableLoss::None) return decode_partly(block);
    // A block that leaves the table as it is gives the same fields from the
    // same table: a client asking for the same URL again sends the same block.
    if (!last_.empty() && block == last_) return last_out_;
    if (!alone_.empty() && block == alone_) {
        insert_later(alone_inserts_, alone_min_);
        return alone_out_;
    }
    bool split = wanted_ && split_block(block, reps_);
    if (split) {
        if (table_free()) return decode_alone(block);
        if (!catch_up()) {
            lose(TableLoss::DecodeError);
            return decode_partly(block);
        }
    }
    std::vector<HeaderField> fields;
    fields.reserve(8);
    bool moved = true;  // not known not to
    if (feed(split ? wanted_block(block, moved) : block, &fields)) {
        DecodedBlock out{std::move(fields)};
        if (moved) {
            last_.clear();  // the table changed: what was kept no longer holds
        } else if (block.size() <= kMaxRemembered) {
            last_.assign(block);
            last_out_ = out;
        }
        return out;
    }
    // a size update past max_table_ is the one failure a well-formed peer causes
    std::vector<Rep> reps;
    bool too_large = split_block(block, reps) && !reps.empty() && reps[0].kind == RepKind::SizeUpdate &&
                     (reps[0].index > max_table_ || (reps.size() > 1 && reps[1].kind == RepKind::SizeUpdate &&
                                                     reps[1].index > max_table_));
    lose(too_large ? TableLoss::TooLarge : TableLoss::DecodeError);
    return decode_partly(block);
}

// reps_ (the block's) neither refer to the dynamic table nor change its size:
// their fields do not depend on it.
bool HpackDecoder::table_free() const {
    return std::all_of(reps_.begin(), reps_.end(), [](const Rep& r) {
        return r.kind != RepKind::SizeUpdate && r.index <= kStaticEntries && (r.index > 0 || r.kind != RepKind::Indexed);
    });
}

// A block's insertions, kept for the inflater until a block needs them.
void HpackDecoder::insert_later(std::string_view inserts, size_t min) {
    if (inserts.empty()) return;
    pending_.add(inserts, min, capacity_);
    last_.clear();  // the table changed
    // bounded: past four tables' worth of bytes the inflater takes them now
    if (pending_.bytes() > kPendingTables * capacity_ && !catch_up()) lose(TableLoss::DecodeError);
}

// The inflater given the insertions it has not seen, before a block that
// refers to the table.
bool HpackDecoder::catch_up() { return pending_.empty() || feed(pending_.take(), nullptr); }

// A block that does not refer to the table: its wanted fields decoded, its
// insertions decoded as literals not indexed (the same fields) and kept for later.
DecodedBlock HpackDecoder::decode_alone(std::string_view block) {
    std::vector<HeaderField> fields;
    std::string inserts;
    size_t min = 0;
    kept_.clear();
    for (const auto& r : reps_) {
        std::string_view bytes = block.substr(r.begin, r.end - r.begin);
        bool wanted = r.index == 0 || static_wanted_[r.index];
        if (r.kind != RepKind::Incremental) {
            if (wanted) kept_.append(bytes);
            continue;
        }
        inserts.append(bytes);
        min += 32 + r.literal_min + (r.index ? static_name_[r.index] : 0);  // RFC 7541 4.1
        if (wanted) {
            kept_ += hpack_integer(r.index, 4, 0x00);  // its index took one byte: it is below 63
            kept_.append(bytes.substr(1));
        }
    }
    if (!kept_.empty() && !feed(kept_, &fields)) {
        lose(TableLoss::DecodeError);
        return decode_partly(block);
    }
    DecodedBlock out{std::move(fields)};
    insert_later(inserts, min);
    if (block.size() <= kMaxRemembered) {
        alone_.assign(block);
        alone_out_ = out;
        alone_inserts_ = std::move(inserts);
        alone_min_ = min;
    }
    return out;
}

// Field by field, each one the inflater can know about fed to it on its own.
DecodedBlock HpackDecoder::decode_partly(std::string_view block) {
    std::vector<HeaderField> fields;
    size_t unknown = 0;
    std::vector<Rep> reps;
    if (!split_block(block, reps)) return {{}, 1};
    for (const auto& r : reps) {
        std::string_view bytes = block.substr(r.begin, r.end - r.begin);
        bool known_ref = r.index <= kStaticEntries || r.index - kStaticEntries <= dynamic_entries();
        bool ok = true;
        if (r.kind != RepKind::SizeUpdate && !known_ref && loss_ == TableLoss::None) {
            // emptied by a size update, the table is known again: a reference
            // past it is the peer's error, not an entry to stand in for
            lose(TableLoss::DecodeError);
            unknown++;
            break;
        }
        switch (r.kind) {
        case RepKind::SizeUpdate:
            if (r.index > max_table_) break;
            ok = feed(bytes, nullptr);
            if (ok) capacity_ = r.index;
            if (ok && r.index == 0) loss_ = TableLoss::None;  // emptied: known again from here
            break;
        case RepKind::Indexed:
            if (r.index == 0 || !known_ref) {
                unknown++;
                break;
            }
            ok = feed(bytes, &fields);
            break;
        case RepKind::Incremental:
        case RepKind::Literal:
            if (known_ref) {
                ok = feed(bytes, &fields);
                break;
            }
            unknown++;
            if (r.kind == RepKind::Incremental) {
                // the peer added it to its table: add it under a name of our own
                std::string stand_in = hpack_integer(0, 6, 0x40);
                stand_in += static_cast<char>(kUnknownName.size());
                stand_in.append(kUnknownName);
                stand_in.append(block.substr(r.value_begin, r.end - r.value_begin));
                ok = feed(stand_in, nullptr);
            }
            break;
        }
        if (!ok) {
            lose(TableLoss::DecodeError);
            unknown++;
            break;
        }
    }
    // entries added under the stand-in name are fields not known
    auto stand_ins = std::remove_if(fields.begin(), fields.end(),
                                    [](const HeaderField& f) { return f.name == kUnknownName; });
    unknown += fields.end() - stand_ins;
    fields.erase(stand_ins, fields.end());
    return {std::move(fields), unknown};
}

}  // namespace apiscope
