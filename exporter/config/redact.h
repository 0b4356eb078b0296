// Secrets in headers and query strings: which names are sensitive, and what
// is exported in their place (nothing, or a keyed short hash).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace apiscope {

// A header or query parameter whose value is a secret: Authorization,
// Proxy-Authorization, Cookie, Set-Cookie, X-Api-Key, Api-Key, any name
// containing token, secret, password or key, and the extra names. Names are
// compared lowercase, '_' and '-' alike.
bool is_sensitive_name(std::string_view name, const std::vector<std::string>& extra);

struct RedactKey {
    uint64_t k0 = 0, k1 = 0;
};
// The key of redact: hash, derived from a file of 16 or more secret bytes;
// throws ConfigError naming the file and the fix.
RedactKey load_redact_key(const std::string& path);

uint64_t siphash24(const RedactKey& key, std::string_view data);

class Redactor {
public:
    Redactor() = default;  // drop mode
    explicit Redactor(const RedactKey& key) : hash_(true), key_(key) {}

    // What a sensitive value becomes: "[REDACTED]" or "hash:" + 16 hex digits.
    std::string value(std::string_view secret) const;
    // A query string with the values of sensitive parameters replaced.
    std::string query(std::string_view query, const std::vector<std::string>& extra) const;

private:
    bool hash_ = false;
    RedactKey key_;
};

}  // namespace apiscope
