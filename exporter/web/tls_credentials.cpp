#include "web/tls_credentials.h"

#include <cstring>
#include <iostream>

#include "config/config.h"

namespace apiscope {
namespace {

TlsCredentials* g_instance;  // GnuTLS's certificate callback carries no pointer of ours
constexpr auto kCheckEvery = std::chrono::seconds(1);
constexpr size_t kKeptPrevious = 4;

struct Datum {
    gnutls_datum_t d{};
    ~Datum() { gnutls_free(d.data); }
};

std::string gnutls_why(const std::string& file, int rc) { return "cannot read " + file + ": " + gnutls_strerror(rc); }

}  // namespace

struct TlsCredentials::Loaded {
    std::vector<gnutls_pcert_st> chain;
    gnutls_privkey_t key = nullptr;
    gnutls_x509_trust_list_t ca = nullptr;
    ~Loaded() {
        for (auto& p : chain) gnutls_pcert_deinit(&p);
        if (key) gnutls_privkey_deinit(key);
        if (ca) gnutls_x509_trust_list_deinit(ca, 1);
    }
};

bool TlsCredentials::Files::operator==(const Files& o) const {
    auto eq = [](const timespec& a, const timespec& b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; };
    return eq(cert, o.cert) && eq(key, o.key) && eq(ca, o.ca) && cert_ino == o.cert_ino && key_ino == o.key_ino &&
           ca_ino == o.ca_ino;
}

TlsCredentials::TlsCredentials(const WebTls& tls) : tls_(tls), priorities_(tls.priorities()) {
    const char* err = nullptr;
    gnutls_priority_t check;
    if (gnutls_priority_init(&check, priorities_.c_str(), &err) != 0)
        throw ConfigError("--web.config.file: tls_server_config: GnuTLS refuses the priorities " + priorities_ +
                          " at '" + (err ? err : "") + "'");
    gnutls_priority_deinit(check);
    files_ = stat_files();
    current_ = load();
    gnutls_session_ticket_key_generate(&ticket_key_);
    next_check_ = std::chrono::steady_clock::now() + kCheckEvery;
    g_instance = this;
}

TlsCredentials::~TlsCredentials() {
    g_instance = nullptr;
    gnutls_memset(ticket_key_.data, 0, ticket_key_.size);
    gnutls_free(ticket_key_.data);
}

TlsCredentials::Files TlsCredentials::stat_files() const {
    Files f;
    struct stat st;
    if (stat(tls_.cert_file.c_str(), &st) == 0) f.cert = st.st_mtim, f.cert_ino = st.st_ino;
    if (stat(tls_.key_file.c_str(), &st) == 0) f.key = st.st_mtim, f.key_ino = st.st_ino;
    if (!tls_.client_ca_file.empty() && stat(tls_.client_ca_file.c_str(), &st) == 0)
        f.ca = st.st_mtim, f.ca_ino = st.st_ino;
    return f;
}

std::shared_ptr<TlsCredentials::Loaded> TlsCredentials::load() const {
    auto l = std::make_shared<Loaded>();
    auto fail = [](const std::string& key, const std::string& why) {
        throw ConfigError("--web.config.file: tls_server_config." + key + ": " + why);
    };
    Datum cert, key;
    int rc;
    if ((rc = gnutls_load_file(tls_.cert_file.c_str(), &cert.d)) < 0) fail("cert_file", gnutls_why(tls_.cert_file, rc));
    if ((rc = gnutls_load_file(tls_.key_file.c_str(), &key.d)) < 0) fail("key_file", gnutls_why(tls_.key_file, rc));
    gnutls_pcert_st pcerts[16];
    unsigned n = 16;
    if ((rc = gnutls_pcert_list_import_x509_raw(pcerts, &n, &cert.d, GNUTLS_X509_FMT_PEM, 0)) < 0 || n == 0)
        fail("cert_file", tls_.cert_file + " is not a PEM certificate chain (" + gnutls_strerror(rc) + ")");
    l->chain.assign(pcerts, pcerts + n);
    gnutls_privkey_init(&l->key);
    if ((rc = gnutls_privkey_import_x509_raw(l->key, &key.d, GNUTLS_X509_FMT_PEM, nullptr, 0)) < 0)
        fail("key_file", tls_.key_file + " is not an unencrypted PEM private key (" + gnutls_strerror(rc) + ")");
    gnutls_pubkey_t pub;
    gnutls_pubkey_init(&pub);
    Datum a, b;
    bool match = gnutls_pubkey_import_privkey(pub, l->key, 0, 0) == 0 &&
                 gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &a.d) == 0 &&
                 gnutls_pubkey_export2(l->chain[0].pubkey, GNUTLS_X509_FMT_DER, &b.d) == 0 && a.d.size == b.d.size &&
                 memcmp(a.d.data, b.d.data, a.d.size) == 0;
    gnutls_pubkey_deinit(pub);
    if (!match) fail("key_file", tls_.key_file + " does not belong to cert_file " + tls_.cert_file);
    if (!tls_.client_ca_file.empty()) {
        gnutls_x509_trust_list_init(&l->ca, 0);
        rc = gnutls_x509_trust_list_add_trust_file(l->ca, tls_.client_ca_file.c_str(), nullptr, GNUTLS_X509_FMT_PEM,
                                                   0, 0);
        if (rc <= 0) fail("client_ca_file", tls_.client_ca_file + " holds no PEM certificate");
    }
    return l;
}

void TlsCredentials::maybe_reload() {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = std::chrono::steady_clock::now();
    if (now < next_check_) return;
    next_check_ = now + kCheckEvery;
    Files f = stat_files();
    if (f == files_ || f == failed_) return;
    try {
        auto l = load();
        previous_.push_back(std::move(current_));
        if (previous_.size() > kKeptPrevious) previous_.pop_front();
        current_ = std::move(l);
        files_ = f;
        reloads_++;
        std::cerr << "apiscope: web TLS: certificate files changed on disk, reloaded\n";
    } catch (const ConfigError& e) {
        failed_ = f;  // said once per change
        reload_failures_++;
        std::cerr << "apiscope: web TLS: cannot reload (" << e.what() << "); keeping the certificate in use\n";
    }
}

void TlsCredentials::prepare(gnutls_session_t session) const {
    gnutls_session_ticket_enable_server(session, &ticket_key_);
    switch (tls_.client_auth) {
        case ClientAuth::None: return;
        case ClientAuth::Request:
        case ClientAuth::VerifyIfGiven: gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUEST); break;
        case ClientAuth::RequireAny:
        case ClientAuth::RequireVerify: gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE); break;
    }
    if (tls_.client_auth == ClientAuth::VerifyIfGiven || tls_.client_auth == ClientAuth::RequireVerify)
        gnutls_session_set_verify_function(session, verify);
}

int TlsCredentials::verify(gnutls_session_t session) {
    auto* self = g_instance;
    unsigned n = 0;
    const gnutls_datum_t* peers = gnutls_certificate_get_peers(session, &n);
    if (!self || !peers || n == 0) return 0;  // none given: required ones are GnuTLS's to refuse
    std::shared_ptr<Loaded> l;
    {
        std::lock_guard<std::mutex> lock(self->mu_);
        l = self->current_;
    }
    std::vector<gnutls_x509_crt_t> chain(n);
    unsigned made = 0;
    bool parsed = true;
    for (; made < n && parsed; made++) {
        gnutls_x509_crt_init(&chain[made]);
        parsed = gnutls_x509_crt_import(chain[made], &peers[made], GNUTLS_X509_FMT_DER) >= 0;
    }
    unsigned status = 1;  // not verified
    gnutls_typed_vdata_st purpose = {GNUTLS_DT_KEY_PURPOSE_OID,
                                     reinterpret_cast<unsigned char*>(const_cast<char*>(GNUTLS_KP_TLS_WWW_CLIENT)), 0};
    if (parsed) gnutls_x509_trust_list_verify_crt2(l->ca, chain.data(), n, &purpose, 1, 0, &status, nullptr);
    for (unsigned i = 0; i < made; i++) gnutls_x509_crt_deinit(chain[i]);
    if (status == 0) return 0;
    self->refused_++;
    return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
}

int TlsCredentials::retrieve(gnutls_session_t, const gnutls_datum_t*, int, const gnutls_pk_algorithm_t*, int,
                             gnutls_pcert_st** pcert, unsigned int* pcert_length, gnutls_privkey_t* key) {
    auto* self = g_instance;
    if (!self) return -1;
    self->maybe_reload();
    std::lock_guard<std::mutex> lock(self->mu_);
    *pcert = self->current_->chain.data();
    *pcert_length = static_cast<unsigned>(self->current_->chain.size());
    *key = self->current_->key;
    return 0;
}

}  // namespace apiscope
