// --web.config.file, in the Prometheus exporter-toolkit format: TLS (with
// the five client certificate policies, versions and cipher suites), basic
// auth with bcrypt hashes, and response headers. A key that cannot be
// honoured is refused, never ignored.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace apiscope {

enum class ClientAuth {
    None,           // NoClientCert
    Request,        // RequestClientCert: asked for, not required, not verified
    RequireAny,     // RequireAnyClientCert: required, not verified
    VerifyIfGiven,  // VerifyClientCertIfGiven
    RequireVerify,  // RequireAndVerifyClientCert
};

struct WebTls {
    std::string cert_file, key_file, client_ca_file;
    ClientAuth client_auth = ClientAuth::None;
    int min_version = 12, max_version = 13;  // TLS 1.2, 1.3
    std::vector<std::string> cipher_suites;  // Go names of TLS 1.2 suites; empty: GnuTLS's defaults
    bool enabled() const { return !cert_file.empty(); }
    // The GnuTLS priority string for these versions and suites.
    std::string priorities() const;
};

struct WebConfig {
    WebTls tls;
    std::map<std::string, std::string> users;    // name -> bcrypt hash
    std::map<std::string, std::string> headers;  // added to every response
};

// Throws ConfigError naming the key and the fix.
WebConfig load_web_config(const std::string& path);

}  // namespace apiscope
