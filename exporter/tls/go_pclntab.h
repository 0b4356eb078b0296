// Go's function table (.gopclntab): where each function of a Go binary starts
// and ends, by name. It survives stripping (-ldflags "-s -w"), which drops the
// ELF symbol table. Formats of Go 1.16-1.17, 1.18-1.19 and 1.20 and later, as
// Go's own debug/gosym reads them; the test compares with it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace apiscope {

struct GoFuncRange {
    uint64_t entry, end;  // virtual addresses
};

// The function named `name` in the table `tab` (the bytes of .gopclntab).
// nullopt if it is not there; throws std::runtime_error if the table is not
// one of the formats above or is cut.
std::optional<GoFuncRange> go_pclntab_find(std::string_view tab, std::string_view name);

}  // namespace apiscope
