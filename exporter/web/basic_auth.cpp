#include "web/basic_auth.h"

#include <crypt.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <cstring>
#include <stdexcept>

namespace apiscope {
namespace {

bool same(const unsigned char* a, const unsigned char* b, size_t n) {  // in time independent of the bytes
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++) d |= a[i] ^ b[i];
    return d == 0;
}

bool bcrypt_matches(const std::string& password, const std::string& hash) {
    struct crypt_data data;
    memset(&data, 0, sizeof(data));
    const char* out = crypt_r(password.c_str(), hash.c_str(), &data);
    return out && out[0] != '*' && strlen(out) == hash.size() &&
           same(reinterpret_cast<const unsigned char*>(out), reinterpret_cast<const unsigned char*>(hash.data()),
                hash.size());
}

std::string random_bytes(size_t n) {
    std::string s(n, '\0');
    if (gnutls_rnd(GNUTLS_RND_NONCE, s.data(), n) != 0) throw std::runtime_error("no random bytes");
    return s;
}

}  // namespace

BasicAuth::BasicAuth(std::map<std::string, std::string> users) : users_(std::move(users)), salt_(random_bytes(16)) {
    if (users_.empty()) return;
    unsigned long cost = 4;
    for (const auto& [name, hash] : users_) cost = std::max(cost, std::stoul(hash.substr(4, 2)));
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    std::string rnd = random_bytes(16);
    if (!crypt_gensalt_rn("$2b$", cost, rnd.data(), static_cast<int>(rnd.size()), setting, sizeof(setting)))
        throw std::runtime_error("bcrypt is not available in libcrypt");
    struct crypt_data data;
    memset(&data, 0, sizeof(data));
    const char* out = crypt_r(random_bytes(12).c_str(), setting, &data);
    dummy_ = out ? out : "";
}

BasicAuth::Digest BasicAuth::digest(const std::string& user, const std::string& password) const {
    std::string in = salt_ + user + '\0' + password;
    Digest d{};
    gnutls_hash_fast(GNUTLS_DIG_SHA256, in.data(), in.size(), d.data());
    return d;
}

bool BasicAuth::check(const std::string& user, const std::string& password) const {
    auto it = users_.find(user);
    Digest d = digest(user, password);
    {
        std::lock_guard<std::mutex> lock(mu_);
        auto c = accepted_.find(user);
        if (c != accepted_.end() && same(c->second.data(), d.data(), d.size())) return true;
    }
    // a known user with a wrong password and an unknown user both pay one bcrypt
    bool ok = bcrypt_matches(password, it != users_.end() ? it->second : dummy_) && it != users_.end();
    if (ok) {
        std::lock_guard<std::mutex> lock(mu_);
        accepted_[user] = d;
    }
    return ok;
}

}  // namespace apiscope
