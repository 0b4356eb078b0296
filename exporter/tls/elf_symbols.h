// Which of some function names an ELF file defines (its dynamic or full
// symbol table): tells whether a binary carries OpenSSL.
#pragma once

#include <set>
#include <string>

namespace apiscope {

// The names among `wanted` that `path` defines as functions. Throws
// std::runtime_error if the file cannot be read as ELF.
std::set<std::string> elf_functions(const std::string& path, const std::set<std::string>& wanted);

}  // namespace apiscope
