#include "tls/go_pclntab.h"

#include <cstring>
#include <stdexcept>

namespace apiscope {
namespace {

constexpr uint32_t kGo116 = 0xfffffffa, kGo118 = 0xfffffff0, kGo120 = 0xfffffff1;

struct Reader {
    std::string_view d;
    uint64_t at(uint64_t off, size_t size) const {
        if (off > d.size() || size > d.size() - off) throw std::runtime_error(".gopclntab is cut");
        uint64_t v = 0;
        memcpy(&v, d.data() + off, size);  // little-endian (x86-64 only)
        return v;
    }
};

}  // namespace

std::optional<GoFuncRange> go_pclntab_find(std::string_view tab, std::string_view name) {
    Reader r{tab};
    uint32_t magic = static_cast<uint32_t>(r.at(0, 4));
    if (magic != kGo116 && magic != kGo118 && magic != kGo120)
        throw std::runtime_error("a .gopclntab of a Go version before 1.16 (or not one)");
    size_t ptr = r.at(7, 1);
    if (ptr != 8 || r.at(4, 2) != 0) throw std::runtime_error(".gopclntab header is not a 64-bit one");
    auto word = [&](unsigned i) { return r.at(8 + i * ptr, ptr); };
    uint64_t nfunc = word(0);
    bool go116 = magic == kGo116;
    uint64_t text = go116 ? 0 : word(2);
    uint64_t names = word(go116 ? 2 : 3), functab = word(go116 ? 6 : 7);
    size_t field = go116 ? ptr : 4;  // functab fields: absolute PCs, or offsets from the text start
    for (uint64_t i = 0; i < nfunc; i++) {
        uint64_t entry = text + r.at(functab + 2 * i * field, field);
        uint64_t func = functab + r.at(functab + (2 * i + 1) * field, field);
        int32_t name_off = static_cast<int32_t>(r.at(func + field, 4));
        uint64_t at = names + static_cast<uint64_t>(name_off);
        if (name_off < 0 || at + name.size() >= tab.size()) continue;
        if (tab.compare(at, name.size(), name) != 0 || tab[at + name.size()] != '\0') continue;
        uint64_t end = text + r.at(functab + 2 * (i + 1) * field, field);
        if (end <= entry) throw std::runtime_error(".gopclntab: a function ends before it starts");
        return GoFuncRange{entry, end};
    }
    return std::nullopt;
}

}  // namespace apiscope
