#include "web/web_config.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <tuple>

#include "config/config.h"

namespace apiscope {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& key, const std::string& what) {
    throw ConfigError("--web.config.file " + path + ": " + key + ": " + what);
}

// Go's TLS 1.2 suite names as GnuTLS priority elements: key exchange, cipher, MAC.
const std::map<std::string, std::tuple<const char*, const char*, const char*>>& suites() {
    static const std::map<std::string, std::tuple<const char*, const char*, const char*>> m = {
        {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", {"ECDHE-ECDSA", "AES-128-GCM", "AEAD"}},
        {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", {"ECDHE-ECDSA", "AES-256-GCM", "AEAD"}},
        {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", {"ECDHE-ECDSA", "CHACHA20-POLY1305", "AEAD"}},
        {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", {"ECDHE-ECDSA", "CHACHA20-POLY1305", "AEAD"}},
        {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", {"ECDHE-ECDSA", "AES-128-CBC", "SHA1"}},
        {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", {"ECDHE-ECDSA", "AES-256-CBC", "SHA1"}},
        {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", {"ECDHE-RSA", "AES-128-GCM", "AEAD"}},
        {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", {"ECDHE-RSA", "AES-256-GCM", "AEAD"}},
        {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", {"ECDHE-RSA", "CHACHA20-POLY1305", "AEAD"}},
        {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", {"ECDHE-RSA", "CHACHA20-POLY1305", "AEAD"}},
        {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", {"ECDHE-RSA", "AES-128-CBC", "SHA1"}},
        {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", {"ECDHE-RSA", "AES-256-CBC", "SHA1"}},
        {"TLS_RSA_WITH_AES_128_GCM_SHA256", {"RSA", "AES-128-GCM", "AEAD"}},
        {"TLS_RSA_WITH_AES_256_GCM_SHA384", {"RSA", "AES-256-GCM", "AEAD"}},
        {"TLS_RSA_WITH_AES_128_CBC_SHA", {"RSA", "AES-128-CBC", "SHA1"}},
        {"TLS_RSA_WITH_AES_256_CBC_SHA", {"RSA", "AES-256-CBC", "SHA1"}},
    };
    return m;
}

// The response headers exporter-toolkit allows.
const std::set<std::string> kHeaders = {"Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options",
                                        "X-XSS-Protection", "Content-Security-Policy"};

std::string readable_file(const std::string& path, const std::string& key, const YAML::Node& n) {
    auto file = n.as<std::string>();
    if (access(file.c_str(), R_OK) != 0)
        fail(path, key, "cannot read " + file + " (" + strerror(errno) + "); give a readable PEM file");
    return file;
}

int tls_version(const std::string& path, const std::string& key, const YAML::Node& n) {
    auto v = n.as<std::string>();
    if (v == "TLS12") return 12;
    if (v == "TLS13") return 13;
    if (v == "TLS10" || v == "TLS11") fail(path, key, v + " is not offered (TLS 1.2 is the oldest); use TLS12 or TLS13");
    fail(path, key, "must be TLS12 or TLS13 (got '" + v + "')");
}

ClientAuth client_auth(const std::string& path, const std::string& key, const std::string& v) {
    if (v == "NoClientCert") return ClientAuth::None;
    if (v == "RequestClientCert") return ClientAuth::Request;
    if (v == "RequireAnyClientCert") return ClientAuth::RequireAny;
    if (v == "VerifyClientCertIfGiven") return ClientAuth::VerifyIfGiven;
    if (v == "RequireAndVerifyClientCert") return ClientAuth::RequireVerify;
    fail(path, key,
         "must be NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or "
         "RequireAndVerifyClientCert (got '" + v + "')");
}

WebTls load_tls(const std::string& path, const YAML::Node& node) {
    const std::string at = "tls_server_config.";
    if (!node.IsMap()) fail(path, "tls_server_config", "must be a mapping with cert_file and key_file");
    WebTls tls;
    for (const auto& kv : node) {
        auto key = kv.first.as<std::string>();
        if (key == "cert_file" || key == "key_file" || key == "client_ca_file") {
            auto file = readable_file(path, at + key, kv.second);
            (key == "cert_file" ? tls.cert_file : key == "key_file" ? tls.key_file : tls.client_ca_file) = file;
        } else if (key == "client_auth_type") {
            tls.client_auth = client_auth(path, at + key, kv.second.as<std::string>());
        } else if (key == "min_version") {
            tls.min_version = tls_version(path, at + key, kv.second);
        } else if (key == "max_version") {
            tls.max_version = tls_version(path, at + key, kv.second);
        } else if (key == "cipher_suites") {
            for (const auto& s : kv.second) {
                auto name = s.as<std::string>();
                if (!suites().count(name))
                    fail(path, at + key,
                         "'" + name + "' is not a TLS 1.2 suite offered here (TLS 1.3 suites are not "
                         "configurable); e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
                tls.cipher_suites.push_back(name);
            }
        } else {
            fail(path, at + key,
                 "unknown key (known: cert_file, key_file, client_ca_file, client_auth_type, min_version, "
                 "max_version, cipher_suites)");
        }
    }
    if (tls.cert_file.empty() || tls.key_file.empty())
        fail(path, "tls_server_config", "needs both cert_file and key_file");
    if (tls.min_version > tls.max_version) fail(path, at + "min_version", "is above max_version");
    if (!tls.cipher_suites.empty() && tls.min_version == 13)
        fail(path, at + "cipher_suites", "apply to TLS 1.2 only, and min_version is TLS13");
    bool verifies = tls.client_auth == ClientAuth::VerifyIfGiven || tls.client_auth == ClientAuth::RequireVerify;
    if (verifies && tls.client_ca_file.empty())
        fail(path, at + "client_auth_type", "verifying client certificates needs client_ca_file, the CA that signs them");
    if (!verifies && !tls.client_ca_file.empty())
        fail(path, at + "client_ca_file",
             "is set but client certificates are not verified; set client_auth_type: RequireAndVerifyClientCert");
    return tls;
}

void load_http(const std::string& path, const YAML::Node& node, WebConfig& wc) {
    if (!node.IsMap()) fail(path, "http_server_config", "must be a mapping");
    for (const auto& kv : node) {
        auto key = kv.first.as<std::string>();
        if (key == "headers") {
            for (const auto& h : kv.second) {
                auto name = h.first.as<std::string>(), value = h.second.as<std::string>();
                if (!kHeaders.count(name))
                    fail(path, "http_server_config.headers." + name,
                         "not allowed (allowed: Strict-Transport-Security, X-Content-Type-Options, "
                         "X-Frame-Options, X-XSS-Protection, Content-Security-Policy)");
                if (value.find_first_of("\r\n") != std::string::npos)
                    fail(path, "http_server_config.headers." + name, "must be one line");
                wc.headers[name] = value;
            }
        } else if (key == "http2") {
            if (kv.second.as<bool>())
                fail(path, "http_server_config.http2", "the endpoint speaks HTTP/1.1 only; set it to false or remove it");
        } else {
            fail(path, "http_server_config." + key, "unknown key (known: headers, http2)");
        }
    }
}

}  // namespace

std::string WebTls::priorities() const {
    std::string p = "NORMAL:-VERS-ALL";
    for (int v = min_version; v <= max_version; v++) p += ":+VERS-TLS1." + std::to_string(v - 10);
    if (!cipher_suites.empty()) {
        // GnuTLS combines key exchanges, ciphers and MACs: the suites named
        // are offered, with the combinations of their parts
        std::set<std::string> kx, cipher, mac;
        for (const auto& s : cipher_suites) {
            auto [k, c, m] = suites().at(s);
            kx.insert(k), cipher.insert(c), mac.insert(m);
        }
        p += ":-KX-ALL:-CIPHER-ALL:-MAC-ALL";
        for (const auto& k : kx) p += ":+" + k;
        for (const auto& c : cipher) p += ":+" + c;
        for (const auto& m : mac) p += ":+" + m;
        if (max_version == 13) p += ":+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+AEAD";  // TLS 1.3's own
    }
    return p;
}

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
                    if (hash.size() != 60 || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' || hash[6] != '$' ||
                        !std::isdigit(static_cast<unsigned char>(hash[4])) ||
                        !std::isdigit(static_cast<unsigned char>(hash[5])))
                        fail(path, "basic_auth_users." + name,
                             "must be a bcrypt hash ($2y$10$ and 53 more characters; e.g. htpasswd -nbBC 10 '' "
                             "PASSWORD)");
                    if (name.find(':') != std::string::npos)
                        fail(path, "basic_auth_users." + name, "a user name cannot contain ':'");
                    wc.users[name] = hash;
                }
            } else if (key == "http_server_config") {
                load_http(path, kv.second, wc);
            } else {
                fail(path, key, "unknown key (known: tls_server_config, basic_auth_users, http_server_config)");
            }
        }
    } catch (const YAML::Exception& e) {
        throw ConfigError("--web.config.file " + path + ": " + e.what());
    }
    return wc;
}

}  // namespace apiscope
