#include "web/web_config.h"

#include <crypt.h>
#include <yaml-cpp/yaml.h>

#include <openssl/ssl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "config/config.h"

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

std::string readable_file(const std::string& path, const std::string& key, const YAML::Node& n) {
    auto file = n.as<std::string>();
    if (access(file.c_str(), R_OK) != 0)
        fail(path, key, "cannot read " + file + " (" + strerror(errno) + "); give a readable PEM file");
    return file;
}

WebTls load_tls(const std::string& path, const YAML::Node& node) {
    const std::string at = "tls_server_config.";
    if (!node.IsMap()) fail(path, "tls_server_config", "must be a mapping with cert_file and key_file");
    WebTls tls;
    std::string auth = "NoClientCert";
    for (const auto& kv : node) {
        auto key = kv.first.as<std::string>();
        if (key == "cert_file" || key == "key_file" || key == "client_ca_file") {
            auto file = readable_file(path, at + key, kv.second);
            (key == "cert_file" ? tls.cert_file : key == "key_file" ? tls.key_file : tls.client_ca_file) = file;
        } else if (key == "client_auth_type") {
            auth = kv.second.as<std::string>();
        } else if (key == "min_version") {
            auto v = kv.second.as<std::string>();
            if (v == "TLS12") tls.min_version = TLS1_2_VERSION;
            else if (v == "TLS13") tls.min_version = TLS1_3_VERSION;
            else fail(path, at + key, "must be TLS12 or TLS13 (got '" + v + "')");
        } else {
            fail(path, at + key,
                 "unknown key (known: cert_file, key_file, client_ca_file, client_auth_type, min_version)");
        }
    }
    if (tls.cert_file.empty() || tls.key_file.empty())
        fail(path, "tls_server_config", "needs both cert_file and key_file");
    if (auth == "RequireAndVerifyClientCert") {
        tls.require_client_cert = tls.verify_client_cert = true;
    } else if (auth == "VerifyClientCertIfGiven") {
        tls.verify_client_cert = true;
    } else if (auth != "NoClientCert") {
        fail(path, at + "client_auth_type",
             "must be NoClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert (got '" + auth + "')");
    }
    if (tls.verify_client_cert && tls.client_ca_file.empty())
        fail(path, at + "client_auth_type", auth + " needs client_ca_file, the CA that signs client certificates");
    if (!tls.verify_client_cert && !tls.client_ca_file.empty())
        fail(path, at + "client_ca_file",
             "is set but client_auth_type is NoClientCert; set client_auth_type: RequireAndVerifyClientCert");
    return tls;
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
                wc.tls = load_tls(path, kv.second);
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
