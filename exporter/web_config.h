// --web.config.file, in the Prometheus exporter-toolkit format: basic auth
// with bcrypt hashes. tls_server_config is refused: the CivetWeb Debian ships
// fails TLS handshakes with OpenSSL 3.
#pragma once

#include <map>
#include <string>

namespace apiscope {

struct WebConfig {
    std::map<std::string, std::string> users;  // name -> bcrypt hash
};

// Throws ConfigError naming the key and the fix.
WebConfig load_web_config(const std::string& path);

// Does `password` match the bcrypt `hash`?
bool password_matches(const std::string& password, const std::string& hash);

}  // namespace apiscope
