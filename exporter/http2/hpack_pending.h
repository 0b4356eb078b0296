// Insertions into a peer's HPACK table not yet given to the inflater. Some
// encoders (nginx's) add every response header to the table and never refer
// to it: the inflater need only see those insertions once a block does refer
// to the table, and then only the ones that can still be in it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apiscope {

class PendingInserts {
public:
    // bytes: a block's literals with incremental indexing, whose names are
    // literals or static entries; min_size: the fewest bytes their entries
    // take; capacity: the table's size. Blocks whose entries later ones
    // surely evict are dropped.
    void add(std::string_view bytes, size_t min_size, size_t capacity) {
        bytes_.append(bytes);
        blocks_.emplace_back(bytes.size(), min_size);
        min_total_ += min_size;
        // each entry of the oldest block is evicted once the later blocks'
        // alone fill the table, whatever their sizes
        while (first_ < blocks_.size() && min_total_ - blocks_[first_].second >= capacity) {
            head_ += blocks_[first_].first;
            min_total_ -= blocks_[first_].second;
            first_++;
        }
        if (first_ > 64 && first_ > blocks_.size() / 2) {  // what was dropped, forgotten now and then
            bytes_.erase(0, head_);
            blocks_.erase(blocks_.begin(), blocks_.begin() + first_);
            head_ = first_ = 0;
        }
    }
    bool empty() const { return first_ == blocks_.size(); }
    size_t bytes() const { return bytes_.size() - head_; }
    // What to give the inflater, as one block. If blocks were dropped, the
    // ones kept fill the table by themselves: they evict from the inflater's
    // table all that the dropped ones would have.
    std::string take() {
        std::string out = bytes_.substr(head_);
        clear();
        return out;
    }
    void clear() {
        bytes_.clear();
        blocks_.clear();
        head_ = first_ = min_total_ = 0;
    }

private:
    std::string bytes_;
    size_t head_ = 0;  // bytes_ before it are dropped
    std::vector<std::pair<size_t, size_t>> blocks_;  // encoded length, fewest bytes in the table
    size_t first_ = 0;                              // blocks_ before it are dropped
    size_t min_total_ = 0;
};

}  // namespace apiscope
