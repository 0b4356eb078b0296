// Where to probe a Go executable's crypto/tls: its Go version (from its build
// info), the file offsets of crypto/tls.(*Conn).Read, Write and
// handshakeContext, and of each of their RET instructions, found by disassembling them with Capstone (Go
// moves goroutine stacks, so return probes cannot be used). The functions
// come from the ELF symbol table, or from .gopclntab when it is stripped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace apiscope {

struct GoFuncSites {
    uint64_t address = 0;        // virtual address of the first instruction
    uint64_t entry = 0;          // its file offset
    std::vector<uint64_t> rets;  // file offsets of its RET instructions
};

struct GoBinary {
    std::string version;      // "go1.19.8"; empty: not a Go executable
    std::string unsupported;  // why it cannot be probed; empty: it can
    GoFuncSites read, write;
    GoFuncSites handshake;  // rets empty: not found (the socket is then learned at the first read or write)
};

// The Go facts of the ELF file open as fd (the caller attaches to that very
// file, so a binary replaced on disk meanwhile is never probed at offsets of
// another). Throws std::runtime_error if it cannot be read.
GoBinary go_binary(int fd);

}  // namespace apiscope
