// Insertions into a peer's HPACK table not yet given to the inflater. Some
// encoders (nginx's) add every response header to the table and never refer
// to it: the inflater need only see those insertions once a block does refer
// to the table, and then only the ones that can still be in it.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <utility>


namespace apiscope {

class PendingInserts {
public:
    // bytes: a block's literals with incremental indexing, whose names are
    // literals or static entries; min_size: the fewest bytes their entries
    // take; capacity: the table's size. Blocks whose entries later ones
    // surely evict are dropped.
    void add(std::string_view bytes, size_t min_size, size_t capacity) {
        bytes_.append(bytes);
        entries_.emplace_back(bytes.size(), min_size);
        min_total_ += min_size;
        // each entry of the oldest block is evicted once the later blocks'
        // alone fill the table, whatever their sizes
        while (!entries_.empty() && min_total_ - entries_.front().second >= capacity) {
            head_ += entries_.front().first;
            min_total_ -= entries_.front().second;
            entries_.pop_front();
        }
        if (head_ > 4096 && head_ > bytes_.size() / 2) {
            bytes_.erase(0, head_);
            head_ = 0;
        }
    }
    bool empty() const { return entries_.empty(); }
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
        entries_.clear();
        head_ = min_total_ = 0;
    }

private:
    std::string bytes_;
    size_t head_ = 0;  // bytes_ before it are dropped
    std::deque<std::pair<size_t, size_t>> entries_;  // a block's: encoded length, fewest bytes in the table
    size_t min_total_ = 0;
};

}  // namespace apiscope
