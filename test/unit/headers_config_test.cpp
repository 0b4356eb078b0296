// The headers and access_log configuration, the rodata it becomes, and the
// redaction rules.
#include <catch2/catch.hpp>

#include <fstream>

#include "kernel/capture_rodata.h"
#include "config/config.h"
#include "config/redact.h"

using namespace apiscope;

static std::string error_of(const std::string& yaml) {
    try {
        validate(load_config_yaml(yaml, "t"));
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST_CASE("headers: names, labels and the access log from YAML", "[headers]") {
    auto c = load_config_yaml(R"(
headers:
  request: [X-Request-Id, {name: X-Tenant, label: true}, {name: User-Agent, label: true}, Authorization]
  response: [{name: X-Cache, label: true}, Content-Type]
  value_max_bytes: 100
  max_label_values: 20
access_log: {output: stdout, include_query: true, sample_ratio: 0.5, rate_limit_per_second: 10,
             buffer_bytes: 65536, sensitive_query_params: [sig]}
maps: {captures: 512, label_values: 1024}
)", "t");
    REQUIRE_NOTHROW(validate(c));
    CHECK(c.headers.request.size() == 4);
    CHECK(c.headers.request[1].name == "x-tenant");
    CHECK(c.headers.request[1].label);
    CHECK(c.access_log.enabled());
    CHECK(c.access_log.sample_ratio == 0.5);
    CHECK(c.maps.captures == 512);

    auto labels = header_labels(c);
    REQUIRE(labels.size() == 3);
    CHECK(labels[0].label == "http_request_header_x_tenant");
    CHECK(labels[1].label == "http_request_header_user_agent");
    CHECK(labels[2].label == "http_response_header_x_cache");
    CHECK(labels[2].dir == 1);
    CHECK(labels[2].index == 0);

    as_capture_cfg k = capture_rodata(c);
    // the MCP session headers follow the configured ones
    CHECK(k.n[0] == 6);
    CHECK(k.n[1] == 3);
    CHECK(std::string(k.hdr[0][4].name) == "mcp-session-id");
    CHECK(std::string(k.hdr[0][5].name) == "mcp-protocol-version");
    CHECK(std::string(k.hdr[1][2].name) == "mcp-session-id");
    CHECK(k.hdr[0][4].flags == 0);  // copied: sessions are followed by it (hashed)
    as_genai_hdrs g = genai_hdrs(c);
    CHECK((g.session[0] == 4 && g.session[1] == 2 && g.proto == 5));
    Config off = c;
    off.genai.enabled = false;
    CHECK(capture_rodata(off).n[0] == 4);
    CHECK(capture_rodata(off).n[1] == 2);
    CHECK(genai_hdrs(off).session[0] == AS_MAX_HDRS);
    CHECK(std::string(k.hdr[0][1].name) == "x-tenant");
    CHECK(k.hdr[0][1].len == 8);
    CHECK(k.hdr[0][3].flags == AS_HDR_PRESENCE_ONLY);  // authorization: never copied
    CHECK(k.hdr[0][0].flags == 0);
    CHECK(k.n_labels == 3);
    CHECK(k.labels[1].product == 1);  // user-agent: product token only
    CHECK(k.labels[0].product == 0);
    CHECK(k.value_max == 100);
    CHECK(k.include_query == 1);
    CHECK((k.first_chars[0] >> ('x' & 63) & 1));
    CHECK((k.first_chars[0] >> ('u' & 63) & 1));
    CHECK_FALSE((k.first_chars[0] >> ('h' & 63) & 1));
}

TEST_CASE("headers: bad configurations name the key and the fix", "[headers]") {
    CHECK_THAT(error_of("headers: {request: [{name: Authorization, label: true}]}"),
               Catch::Contains("headers.request: 'authorization' is a sensitive header") &&
                   Catch::Contains("remove 'label: true'"));
    CHECK_THAT(error_of("headers: {request: [{name: X-Session-Token, label: true}]}"),
               Catch::Contains("sensitive"));
    CHECK_THAT(error_of("headers: {request: [{name: X-Tenant, label: true}], sensitive: [x-tenant]}"),
               Catch::Contains("sensitive"));
    CHECK_THAT(error_of("headers: {request: [a, b, c, d, e, f, g, h, i]}"), Catch::Contains("at most 8"));
    CHECK_THAT(error_of("headers: {request: [\"X Bad\"]}"), Catch::Contains("not a header name"));
    CHECK_THAT(error_of("headers: {request: [Content-Length]}"), Catch::Contains("frames the body"));
    CHECK_THAT(error_of("headers: {request: [a, A]}"), Catch::Contains("listed twice"));
    CHECK_THAT(error_of("headers: {request: [{name: a, label: true}, {name: b, label: true}, "
                        "{name: c, label: true}], response: [{name: d, label: true}, {name: e, label: true}]}"),
               Catch::Contains("at most 4 headers can be labels"));
    CHECK_THAT(error_of("headers: {value_max_bytes: 129}"), Catch::Contains("headers.value_max_bytes: must be 1-128"));
    CHECK_THAT(error_of("headers: {redact: scramble}"), Catch::Contains("must be drop or hash"));
    CHECK_THAT(error_of("headers: {redact: hash}"), Catch::Contains("needs a key file"));
    CHECK_THAT(error_of("headers: {redact: hash, redact_key_file: /nonexistent/k}"),
               Catch::Contains("cannot read '/nonexistent/k'"));
    CHECK_THAT(error_of("headers: {request: [{name: x, lable: true}]}"), Catch::Contains("unknown key"));
    CHECK_THAT(error_of("access_log: {sample_ratio: 1.5}"), Catch::Contains("between 0 and 1"));
    CHECK_THAT(error_of("access_log: {buffer_bytes: 5000}"), Catch::Contains("power of two"));
}

TEST_CASE("redaction: which names are secrets", "[redact]") {
    for (const char* name : {"authorization", "Proxy-Authorization", "cookie", "set-cookie", "x-api-key", "api-key",
                             "X-Auth-Token", "client_secret", "db-password", "x_api_key", "keyid"})
        CHECK(is_sensitive_name(name, {}));
    for (const char* name : {"x-request-id", "user-agent", "x-tenant", "content-type", "accept"})
        CHECK_FALSE(is_sensitive_name(name, {}));
    CHECK(is_sensitive_name("x-internal", {"X-Internal"}));
    CHECK(is_sensitive_name("access_token", {}));
    CHECK(is_sensitive_name("sig", {"sig"}));
    CHECK_FALSE(is_sensitive_name("page", {}));
}

TEST_CASE("redaction: drop and keyed hash", "[redact]") {
    Redactor drop;
    CHECK(drop.value("Bearer abc") == "[REDACTED]");
    CHECK(drop.query("page=2&access_token=abc&sig=zz&flag", {"sig"}) ==
          "page=2&access_token=[REDACTED]&sig=[REDACTED]&flag");
    CHECK(drop.query("", {}) == "");

    std::string path = "/tmp/apiscope_unit_redact.key";
    std::ofstream(path) << "0123456789abcdef-secret";
    Redactor hash(load_redact_key(path));
    std::string a = hash.value("Bearer abc"), b = hash.value("Bearer abd");
    CHECK(a.rfind("hash:", 0) == 0);
    CHECK(a.size() == 21);
    CHECK(a == hash.value("Bearer abc"));  // the same caller, the same hash
    CHECK(a != b);
    std::ofstream(path) << "another key, 16+ bytes";
    CHECK(Redactor(load_redact_key(path)).value("Bearer abc") != a);  // keyed
    std::ofstream(path) << "short";
    CHECK_THROWS_WITH(load_redact_key(path), Catch::Contains("a key needs 16 or more"));
}

TEST_CASE("siphash24 matches the reference test vector", "[redact]") {
    // SipHash-2-4 paper, appendix A: key 00..0f, message 00..0e
    RedactKey k{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
    std::string msg;
    for (int i = 0; i < 15; i++) msg += static_cast<char>(i);
    CHECK(siphash24(k, msg) == 0xa129ca6149be45e5ULL);
}
