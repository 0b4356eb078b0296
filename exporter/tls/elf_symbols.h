// Which of some function names an ELF file defines (its dynamic or full
// symbol table), and where: tells whether a binary carries OpenSSL, and
// where its uprobes go.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace apiscope {

// The names among `wanted` that `path` defines as functions, with their
// offsets in the file (what a uprobe is attached at). Throws
// std::runtime_error if the file cannot be read as ELF.
std::map<std::string, uint64_t> elf_functions(const std::string& path, const std::set<std::string>& wanted);

}  // namespace apiscope
