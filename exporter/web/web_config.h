// --web.config.file, in the Prometheus exporter-toolkit format: TLS (with
// optional client certificates) and basic auth with bcrypt hashes.
#pragma once

#include <map>
#include <string>

namespace apiscope {

struct WebTls {
    std::string cert_file, key_file, client_ca_file;
    bool require_client_cert = false;  // RequireAndVerifyClientCert
    bool verify_client_cert = false;   // VerifyClientCertIfGiven, or required
    int min_version = 0;               // TLS1_2_VERSION... (0: TLS 1.2)
    bool enabled() const { return !cert_file.empty(); }
};

struct WebConfig {
    WebTls tls;
    std::map<std::string, std::string> users;  // name -> bcrypt hash
};

// Throws ConfigError naming the key and the fix.
WebConfig load_web_config(const std::string& path);

// Does `password` match the bcrypt `hash`?
bool password_matches(const std::string& password, const std::string& hash);

}  // namespace apiscope
