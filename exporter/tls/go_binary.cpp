#include "tls/go_binary.h"

#include <capstone/capstone.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <stdexcept>

#include "tls/go_pclntab.h"

namespace apiscope {
namespace {

constexpr const char* kRead = "crypto/tls.(*Conn).Read";
constexpr const char* kWrite = "crypto/tls.(*Conn).Write";
constexpr const char* kHandshake = "crypto/tls.(*Conn).handshakeContext";

struct ElfFile {
    Elf* elf = nullptr;
    explicit ElfFile(int fd) {
        if (elf_version(EV_CURRENT) == EV_NONE) throw std::runtime_error(std::string("libelf: ") + elf_errmsg(-1));
        elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
        if (!elf || elf_kind(elf) != ELF_K_ELF) throw std::runtime_error("not an ELF file");
    }
    ~ElfFile() {
        if (elf) elf_end(elf);
    }

    Elf_Scn* section(const char* name, GElf_Shdr* out) const {
        size_t strndx;
        if (elf_getshdrstrndx(elf, &strndx)) return nullptr;
        for (Elf_Scn* s = nullptr; (s = elf_nextscn(elf, s));) {
            GElf_Shdr sh;
            const char* n = gelf_getshdr(s, &sh) ? elf_strptr(elf, strndx, sh.sh_name) : nullptr;
            if (n && strcmp(n, name) == 0) {
                *out = sh;
                return s;
            }
        }
        return nullptr;
    }
    std::string_view bytes(Elf_Scn* s) const {
        Elf_Data* d = elf_rawdata(s, nullptr);
        return d && d->d_buf ? std::string_view(static_cast<const char*>(d->d_buf), d->d_size) : std::string_view();
    }
    // The bytes at virtual address va, n of them, from the segment that maps it.
    std::string_view at(uint64_t va, uint64_t n, uint64_t* file_off) const {
        size_t phnum, size;
        char* raw = elf_rawfile(elf, &size);
        if (!raw || elf_getphdrnum(elf, &phnum)) return {};
        for (size_t i = 0; i < phnum; i++) {
            GElf_Phdr ph;
            if (!gelf_getphdr(elf, static_cast<int>(i), &ph) || ph.p_type != PT_LOAD) continue;
            if (va < ph.p_vaddr || va + n > ph.p_vaddr + ph.p_filesz) continue;
            uint64_t off = va - ph.p_vaddr + ph.p_offset;
            if (off + n > size) return {};
            if (file_off) *file_off = off;
            return std::string_view(raw + off, n);
        }
        return {};
    }
};

uint64_t uvarint(std::string_view s, size_t* at) {
    uint64_t v = 0;
    for (int shift = 0; *at < s.size() && shift < 64; shift += 7) {
        uint8_t b = s[(*at)++];
        v |= uint64_t(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    throw std::runtime_error("build info is cut");
}

// The Go version recorded by the linker (.go.buildinfo; the format of
// Go's debug/buildinfo): inline since Go 1.18, behind pointers before.
std::string version_of(const ElfFile& f) {
    GElf_Shdr sh;
    Elf_Scn* s = f.section(".go.buildinfo", &sh);
    if (!s) return "";
    std::string_view b = f.bytes(s);
    static const char magic[] = "\xff Go buildinf:";
    if (b.size() < 32 || b.compare(0, 14, magic) != 0) return "";
    if (b[15] & 2) {  // inline strings
        size_t at = 32;
        uint64_t n = uvarint(b, &at);
        return at + n <= b.size() ? std::string(b.substr(at, n)) : "";
    }
    if (b[14] != 8) return "";
    uint64_t str_va;  // -> a Go string header {ptr, len}
    memcpy(&str_va, b.data() + 16, 8);
    std::string_view hdr = f.at(str_va, 16, nullptr);
    if (hdr.size() != 16) return "";
    uint64_t ptr, len;
    memcpy(&ptr, hdr.data(), 8);
    memcpy(&len, hdr.data() + 8, 8);
    std::string_view v = len < 64 ? f.at(ptr, len, nullptr) : std::string_view();
    return std::string(v);
}

// go1.MINOR of a version string, or -1.
int minor_of(const std::string& v) {
    if (v.rfind("go1.", 0) != 0) return -1;
    return atoi(v.c_str() + 4);
}

std::optional<GoFuncRange> from_symtab(const ElfFile& f, const char* name) {
    GElf_Shdr sh;
    Elf_Scn* s = f.section(".symtab", &sh);
    Elf_Data* d = s ? elf_getdata(s, nullptr) : nullptr;
    size_t n = d && sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
    for (size_t i = 0; i < n; i++) {
        GElf_Sym sym;
        if (!gelf_getsym(d, static_cast<int>(i), &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC) continue;
        const char* n2 = elf_strptr(f.elf, sh.sh_link, sym.st_name);
        if (n2 && strcmp(n2, name) == 0 && sym.st_size) return GoFuncRange{sym.st_value, sym.st_value + sym.st_size};
    }
    return std::nullopt;
}

// Every RET of the function, by decoding it from its first byte to its end:
// each offset is an instruction boundary, or the function is refused.
GoFuncSites sites(const ElfFile& f, const GoFuncRange& r, const char* name) {
    GoFuncSites out;
    uint64_t off = 0;
    std::string_view code = f.at(r.entry, r.end - r.entry, &off);
    if (code.empty()) throw std::runtime_error(std::string(name) + " is not in a loaded segment");
    out.address = r.entry;
    out.entry = off;
    csh h;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) throw std::runtime_error("capstone: cannot open");
    cs_insn* insn = cs_malloc(h);
    const uint8_t* p = reinterpret_cast<const uint8_t*>(code.data());
    size_t left = code.size();
    uint64_t va = r.entry;
    while (left && cs_disasm_iter(h, &p, &left, &va, insn))
        if (insn->id == X86_INS_RET) out.rets.push_back(off + (insn->address - r.entry));
    cs_free(insn, 1);
    cs_close(&h);
    if (left) throw std::runtime_error(std::string(name) + ": an instruction Capstone cannot decode");
    if (out.rets.empty()) throw std::runtime_error(std::string(name) + " has no RET instruction");
    return out;
}

}  // namespace

GoBinary go_binary(int fd) {
    ElfFile f(fd);
    GoBinary out;
    GElf_Shdr pcln_sh;
    Elf_Scn* pcln = f.section(".gopclntab", &pcln_sh);
    out.version = version_of(f);
    if (out.version.empty()) {
        if (!pcln) return out;  // not Go
        out.version = "go";     // Go, its version not recorded
    }
    GElf_Ehdr eh;
    if (!gelf_getehdr(f.elf, &eh) || eh.e_machine != EM_X86_64) {
        out.unsupported = "only x86-64 Go programs are probed";
        return out;
    }
    int minor = minor_of(out.version);
    if (minor >= 0 && minor < 17) {
        out.unsupported = out.version + " passes arguments on the stack; Go 1.17 or later is needed";
        return out;
    }
    std::optional<GoFuncRange> read = from_symtab(f, kRead), write = from_symtab(f, kWrite),
                               handshake = from_symtab(f, kHandshake);
    if ((!read || !write || !handshake) && pcln) {
        std::string_view tab = f.bytes(pcln);
        if (!read) read = go_pclntab_find(tab, kRead);
        if (!write) write = go_pclntab_find(tab, kWrite);
        if (!handshake) handshake = go_pclntab_find(tab, kHandshake);
    }
    if (!read || !write) {
        out.unsupported = "no crypto/tls in this program";
        return out;
    }
    out.read = sites(f, *read, kRead);
    out.write = sites(f, *write, kWrite);
    if (handshake) out.handshake = sites(f, *handshake, kHandshake);
    return out;
}

}  // namespace apiscope
