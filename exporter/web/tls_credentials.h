// The endpoint's TLS with GnuTLS: the certificate and key handed to each
// handshake (reloaded when their files change on disk: a broken new file
// keeps the one in use and says so), the client certificate policy and its
// verification against client_ca_file, session tickets for resumption.
#pragma once

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "web/web_config.h"

namespace apiscope {

class TlsCredentials {
public:
    // Loads the files; throws ConfigError naming the file and GnuTLS's reason.
    explicit TlsCredentials(const WebTls& tls);
    ~TlsCredentials();
    TlsCredentials(const TlsCredentials&) = delete;
    TlsCredentials& operator=(const TlsCredentials&) = delete;

    // Sets a new session up: tickets, client certificate request and check.
    void prepare(gnutls_session_t session) const;
    // For MHD_OPTION_HTTPS_CERT_CALLBACK (the one instance of the process).
    static int retrieve(gnutls_session_t, const gnutls_datum_t*, int, const gnutls_pk_algorithm_t*, int,
                        gnutls_pcert_st** pcert, unsigned int* pcert_length, gnutls_privkey_t* key);
    const std::string& priorities() const { return priorities_; }

    uint64_t reloads() const { return reloads_; }
    uint64_t reload_failures() const { return reload_failures_; }
    uint64_t client_cert_refusals() const { return refused_; }

private:
    struct Loaded;
    struct Files {  // what the files were when last read
        struct timespec cert{}, key{}, ca{};
        ino_t cert_ino = 0, key_ino = 0, ca_ino = 0;
        bool operator==(const Files&) const;
    };
    std::shared_ptr<Loaded> load() const;  // throws ConfigError
    Files stat_files() const;
    void maybe_reload();
    static int verify(gnutls_session_t session);

    WebTls tls_;
    std::string priorities_;
    gnutls_datum_t ticket_key_{};
    mutable std::mutex mu_;
    std::shared_ptr<Loaded> current_;
    // earlier ones, kept while handshakes begun with them may still use them
    std::deque<std::shared_ptr<Loaded>> previous_;
    Files files_, failed_;
    std::chrono::steady_clock::time_point next_check_;
    std::atomic<uint64_t> reloads_{0}, reload_failures_{0};
    mutable std::atomic<uint64_t> refused_{0};
};

}  // namespace apiscope
