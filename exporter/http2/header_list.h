// A header block's decoded fields, shared and never changed: a block
// repeated against an unchanged table (a client asking for the same URL
// again) gives the same list again, not a copy of it.
//
// Counted without atomic operations: a list lives in one thread at a time
// (the HTTP/2 collector's, under its lock), and on a VM each atomic
// increment of a shared_ptr cost as much as the rest of the lookup.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace apiscope {

struct HeaderField {
    std::string name, value;  // name lowercase, as HTTP/2 sends it
};

class HeaderList {
public:
    HeaderList() = default;
    HeaderList(std::vector<HeaderField> fields) : p_(fields.empty() ? nullptr : new Shared{std::move(fields), 1}) {}
    HeaderList(const HeaderList& o) : p_(o.p_) {
        if (p_) p_->refs++;
    }
    HeaderList(HeaderList&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    HeaderList& operator=(HeaderList o) noexcept {
        std::swap(p_, o.p_);
        return *this;
    }
    ~HeaderList() {
        if (p_ && !--p_->refs) delete p_;
    }

    operator const std::vector<HeaderField>&() const { return p_ ? p_->fields : none(); }
    auto begin() const { return static_cast<const std::vector<HeaderField>&>(*this).begin(); }
    auto end() const { return static_cast<const std::vector<HeaderField>&>(*this).end(); }
    size_t size() const { return p_ ? p_->fields.size() : 0; }
    bool empty() const { return !p_; }
    // The same list, not only equal ones.
    const void* id() const { return p_; }

private:
    struct Shared {
        const std::vector<HeaderField> fields;
        size_t refs;
    };
    static const std::vector<HeaderField>& none() {
        static const std::vector<HeaderField> empty;
        return empty;
    }
    Shared* p_ = nullptr;
};

}  // namespace apiscope
