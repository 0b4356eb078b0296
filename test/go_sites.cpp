// Prints what apiscope reads of a Go executable (tls/go_binary.h), for the
// integration test to compare with Go's own debug/gosym and disassembler:
// the version, then per function its name, entry address and RET addresses.
// With --offsets, only the file offsets of every site apiscope probes (for
// bench_floor --go).
#include <fcntl.h>

#include <cstdio>
#include <string>

#include "tls/go_binary.h"

int main(int argc, char** argv) {
    bool offsets = argc == 3 && std::string(argv[1]) == "--offsets";
    if (argc != 2 && !offsets) return 2;
    int fd = open(argv[argc - 1], O_RDONLY);
    if (fd < 0) return 2;
    apiscope::GoBinary g = apiscope::go_binary(fd);
    if (offsets) {
        for (const auto* f : {&g.read, &g.write, &g.handshake}) {
            if (f->rets.empty()) continue;
            printf("%#lx", static_cast<unsigned long>(f->entry));
            for (uint64_t r : f->rets) printf(" %#lx", static_cast<unsigned long>(r));
            printf(" ");
        }
        printf("\n");
        return 0;
    }
    printf("version %s\n", g.version.c_str());
    if (!g.unsupported.empty()) printf("unsupported %s\n", g.unsupported.c_str());
    const std::pair<const char*, const apiscope::GoFuncSites*> funcs[] = {
        {"crypto/tls.(*Conn).Read", &g.read},
        {"crypto/tls.(*Conn).Write", &g.write},
        {"crypto/tls.(*Conn).handshakeContext", &g.handshake}};
    for (const auto& [name, f] : funcs) {
        printf("func %s %#lx", name, static_cast<unsigned long>(f->address));
        for (uint64_t r : f->rets) printf(" %#lx", static_cast<unsigned long>(f->address + (r - f->entry)));
        printf("\n");
    }
    return 0;
}
