#include "web_config.h"

#include <crypt.h>
#include <yaml-cpp/yaml.h>

#include <cstring>

#include "config.h"

namespace apiscope {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& key, const std::string& what) {
    throw ConfigError("--web.config.file " + path + ": " + key + ": " + what);
}

// Compares in time independent of where the bytes differ.
int same_bytes_diff(const char* a, const char* b, size_t n) {
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++) d |= static_cast<unsigned char>(a[i] ^ b[i]);
    return d;
}

}  // namespace

WebConfig load_web_config(const std::string& path) {
    YAML::Node root;
    try {
        root = YAML::LoadFile(path);
    } catch (const YAML::Exception& e) {
        throw ConfigError("--web.config.file " + path + ": cannot read it as YAML (" + e.what() + ")");
    }
    WebConfig wc;
    if (!root || root.IsNull()) return wc;
    if (!root.IsMap()) fail(path, "config", "must be a mapping");
    try {
        for (const auto& kv : root) {
            auto key = kv.first.as<std::string>();
            if (key == "tls_server_config") {
                fail(path, key, "TLS on the endpoint is not available: the CivetWeb Debian ships fails the "
                                "handshake with OpenSSL 3; terminate TLS in front of apiscope (a proxy "
                                "sidecar) and keep basic_auth_users here");
            } else if (key == "basic_auth_users") {
                for (const auto& u : kv.second) {
                    auto name = u.first.as<std::string>(), hash = u.second.as<std::string>();
                    if (hash.rfind("$2", 0) != 0 || hash.size() < 59)
                        fail(path, "basic_auth_users." + name,
                             "must be a bcrypt hash ($2y$...; e.g. htpasswd -nbBC 10 '' PASSWORD)");
                    wc.users[name] = hash;
                }
            } else {
                fail(path, key, "unknown key (known: tls_server_config, basic_auth_users)");
            }
        }
    } catch (const YAML::Exception& e) {
        throw ConfigError("--web.config.file " + path + ": " + e.what());
    }
    return wc;
}

bool password_matches(const std::string& password, const std::string& hash) {
    struct crypt_data data;
    memset(&data, 0, sizeof(data));
    const char* out = crypt_r(password.c_str(), hash.c_str(), &data);
    return out && out[0] != '*' && strlen(out) == hash.size() &&
           same_bytes_diff(out, hash.c_str(), hash.size()) == 0;
}

}  // namespace apiscope
