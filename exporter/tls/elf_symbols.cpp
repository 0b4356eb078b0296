#include "tls/elf_symbols.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace apiscope {

std::map<std::string, uint64_t> elf_functions(const std::string& path, const std::set<std::string>& wanted) {
    std::map<std::string, uint64_t> found;
    if (elf_version(EV_CURRENT) == EV_NONE) throw std::runtime_error("libelf: " + std::string(elf_errmsg(-1)));
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(path + ": " + strerror(errno));
    Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
    if (!elf || elf_kind(elf) != ELF_K_ELF) {
        if (elf) elf_end(elf);
        close(fd);
        throw std::runtime_error(path + ": not an ELF file");
    }
    Elf_Scn* scn = nullptr;
    while ((scn = elf_nextscn(elf, scn)) && found.size() < wanted.size()) {
        GElf_Shdr shdr;
        if (!gelf_getshdr(scn, &shdr) || (shdr.sh_type != SHT_DYNSYM && shdr.sh_type != SHT_SYMTAB)) continue;
        Elf_Data* data = elf_getdata(scn, nullptr);
        size_t n = shdr.sh_entsize ? shdr.sh_size / shdr.sh_entsize : 0;
        for (size_t i = 0; data && i < n; i++) {
            GElf_Sym sym;
            if (!gelf_getsym(data, static_cast<int>(i), &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
                sym.st_shndx == SHN_UNDEF)
                continue;
            const char* name = elf_strptr(elf, shdr.sh_link, sym.st_name);
            GElf_Shdr text;  // the section it is in: its address to file offset
            if (name && wanted.count(name) && gelf_getshdr(elf_getscn(elf, sym.st_shndx), &text))
                found.emplace(name, sym.st_value - text.sh_addr + text.sh_offset);
        }
    }
    elf_end(elf);
    close(fd);
    return found;
}

}  // namespace apiscope
