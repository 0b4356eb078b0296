#include "config/redact.h"

#include <algorithm>
#include <fstream>
#include <iterator>

#include "config/config.h"

namespace apiscope {
namespace {

std::string normalise(std::string_view name) {
    std::string s(name);
    for (auto& c : s) c = c == '_' ? '-' : static_cast<char>(tolower(static_cast<unsigned char>(c)));
    return s;
}

uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

}  // namespace

bool is_sensitive_name(std::string_view raw, const std::vector<std::string>& extra) {
    static const char* exact[] = {"authorization", "proxy-authorization", "cookie", "set-cookie",
                                  "x-api-key", "api-key"};
    static const char* parts[] = {"token", "secret", "password", "key"};
    std::string name = normalise(raw);
    for (const char* e : exact)
        if (name == e) return true;
    for (const char* p : parts)
        if (name.find(p) != std::string::npos) return true;
    return std::any_of(extra.begin(), extra.end(), [&](const std::string& e) { return normalise(e) == name; });
}

// SipHash-2-4 (Aumasson and Bernstein): a keyed hash made for short inputs.
uint64_t siphash24(const RedactKey& key, std::string_view data) {
    uint64_t v0 = 0x736f6d6570736575ULL ^ key.k0, v1 = 0x646f72616e646f6dULL ^ key.k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ key.k0, v3 = 0x7465646279746573ULL ^ key.k1;
    auto round = [&] {
        v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
        v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
        v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
        v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
    };
    size_t n = data.size(), i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t m = 0;
        for (int j = 0; j < 8; j++) m |= uint64_t(uint8_t(data[i + j])) << (8 * j);
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }
    uint64_t last = uint64_t(n & 0xff) << 56;
    for (size_t j = 0; i + j < n; j++) last |= uint64_t(uint8_t(data[i + j])) << (8 * j);
    v3 ^= last;
    round();
    round();
    v0 ^= last;
    v2 ^= 0xff;
    for (int r = 0; r < 4; r++) round();
    return v0 ^ v1 ^ v2 ^ v3;
}

RedactKey load_redact_key(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ConfigError("headers.redact_key_file: cannot read '" + path +
                          "'; create it with: head -c 32 /dev/urandom > " + path);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() < 16)
        throw ConfigError("headers.redact_key_file: '" + path + "' holds " + std::to_string(bytes.size()) +
                          " bytes; a key needs 16 or more (head -c 32 /dev/urandom > " + path + ")");
    // the file's bytes, whatever their length, become the two key words
    RedactKey k;
    k.k0 = siphash24(RedactKey{0x61706973636f7065ULL, 1}, bytes);
    k.k1 = siphash24(RedactKey{0x61706973636f7065ULL, 2}, bytes);
    return k;
}

std::string Redactor::value(std::string_view secret) const {
    if (!hash_) return "[REDACTED]";
    char buf[24];
    snprintf(buf, sizeof(buf), "hash:%016llx", static_cast<unsigned long long>(siphash24(key_, secret)));
    return buf;
}

std::string Redactor::query(std::string_view q, const std::vector<std::string>& extra) const {
    std::string out;
    size_t start = 0;
    while (start <= q.size()) {
        size_t end = q.find('&', start);
        if (end == std::string_view::npos) end = q.size();
        std::string_view param = q.substr(start, end - start);
        size_t eq = param.find('=');
        if (start) out += '&';
        if (eq != std::string_view::npos && is_sensitive_name(param.substr(0, eq), extra)) {
            out.append(param.substr(0, eq + 1));
            out += value(param.substr(eq + 1));
        } else {
            out.append(param);
        }
        start = end + 1;
    }
    return out;
}

}  // namespace apiscope
