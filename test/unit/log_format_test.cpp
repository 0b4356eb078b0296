// Access log lines: field names, redaction, JSON escaping of hostile bytes, addresses.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "access_log/json_escape.h"
#include "metrics/labels.h"
#include "access_log/log_format.h"
#include "log_record.h"

using namespace apiscope;

static std::string json(std::string_view s) {
    std::string out;
    json_string(out, s);
    return out;
}

TEST_CASE("json: hostile strings stay one valid string", "[json]") {
    CHECK(json("plain") == "\"plain\"");
    CHECK(json("a\"b\\c") == "\"a\\\"b\\\\c\"");
    CHECK(json("line\r\nbreak\t") == "\"line\\r\\nbreak\\t\"");
    CHECK(json(std::string("nul\0x", 5)) == "\"nul\\u0000x\"");
    CHECK(json("\x1b[31m\x7f") == "\"\\u001b[31m\\u007f\"");
    CHECK(json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    CHECK(json("\xff\xfe") == "\"\\ufffd\\ufffd\"");          // not UTF-8
    CHECK(json("\xc3") == "\"\\ufffd\"");                     // cut sequence
    CHECK(json("\xc0\xaf") == "\"\\ufffd\\ufffd\"");          // overlong '/'
    CHECK(json("\xed\xa0\x80") == "\"\\ufffd\\ufffd\\ufffd\"");  // surrogate
    CHECK(json("\xf4\x90\x80\x80") == "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // above U+10FFFF
}

static LogEvent event() {
    LogEvent e = {};
    e.call.start_ns = 1'000'000'000;
    e.call.duration_ns = 1'500'000;
    e.call.route_id = 77;
    e.call.req_bytes = 12;
    e.call.resp_bytes = 34;
    e.call.tgid = 4242;
    e.call.status = 201;
    e.call.peer_port = 55555;
    e.call.method = AS_METHOD_POST;
    e.call.direction = AS_DIR_SERVER;
    e.call.version = AS_VER_1_1;
    uint8_t addr[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3};
    memcpy(e.call.peer_addr, addr, 16);
    strcpy(e.call.comm, "api-server");
    e.has_req = e.has_resp = 1;
    auto put = [](as_hdr_vals& v, int k, const std::string& s) {
        v.present |= 1u << k;
        memcpy(v.val[k], s.data(), s.size());
        v.len[k] = s.size();
    };
    put(e.req, 0, "req-1");
    put(e.req, 1, "he said \"hi\"\x01");
    e.req.present |= 1u << 2;  // authorization: present, no bytes (drop mode)
    put(e.req, 3, std::string(10, 'u'));
    e.req.truncated |= 1u << 3;
    std::string path = "/orders/9?access_token=t0k&page=2";
    memcpy(e.req.path, path.data(), path.size());
    e.req.path_len = path.size();
    put(e.resp, 0, "MISS");
    return e;
}

static Config config(bool include_query) {
    Config c;
    c.headers.request = {{"x-request-id"}, {"x-tenant"}, {"authorization"}, {"user-agent"}};
    c.headers.response = {{"x-cache"}};
    c.access_log.output = "stdout";
    c.access_log.include_query = include_query;
    return c;
}

TEST_CASE("log line: OpenTelemetry names, redacted secrets, escaped values", "[log]") {
    Config cfg = config(true);
    LogFormatter f(cfg, [](const std::string&, uint64_t id) { return id == 77 ? "/orders/{id}" : "?"; });
    std::string line = f.line(event(), 1'700'000'000'000'000'000LL);
    CHECK(line ==
          "{\"timestamp\":\"2023-11-14T22:13:21.000000Z\",\"service.name\":\"api-server\",\"process.pid\":4242,"
          "\"span.kind\":\"server\",\"http.request.method\":\"POST\",\"http.route\":\"/orders/{id}\","
          "\"url.scheme\":\"http\",\"network.protocol.version\":\"1.1\","
          "\"url.path\":\"/orders/9\",\"url.query\":\"access_token=[REDACTED]&page=2\","
          "\"http.response.status_code\":201,\"duration_s\":0.001500000,\"http.request.body.size\":12,"
          "\"http.response.body.size\":34,\"client.address\":\"10.1.2.3\",\"client.port\":55555,"
          "\"http.request.header.x-request-id\":[\"req-1\"],"
          "\"http.request.header.x-tenant\":[\"he said \\\"hi\\\"\\u0001\"],"
          "\"http.request.header.authorization\":[\"[REDACTED]\"],"
          "\"http.request.header.user-agent\":[\"uuuuuuuuuu\xe2\x80\xa6\"],"
          "\"http.response.header.x-cache\":[\"MISS\"]}\n");
}

TEST_CASE("log line: client side, no response, no query", "[log]") {
    Config cfg = config(false);
    cfg.service_name = "gateway";
    LogFormatter f(cfg, [](const std::string&, uint64_t) { return "_other"; });
    LogEvent e = event();
    e.call.direction = AS_DIR_CLIENT;
    e.call.status = 0;
    e.call.error = AS_ERR_CONN_CLOSED;
    e.has_resp = 0;
    std::string line = f.line(e, 0);
    CHECK_THAT(line, Catch::Contains("\"service.name\":\"gateway\""));
    CHECK_THAT(line, Catch::Contains("\"span.kind\":\"client\""));
    CHECK_THAT(line, Catch::Contains("\"error.type\":\"connection_closed\""));
    CHECK_THAT(line, Catch::Contains("\"server.address\":\"10.1.2.3\",\"server.port\":55555"));
    CHECK_THAT(line, !Catch::Contains("url.query") && !Catch::Contains("status_code") &&
                         !Catch::Contains("x-cache") && !Catch::Contains("response.body.size"));
}

TEST_CASE("labels: peer addresses, IPv4-mapped and IPv6", "[log]") {
    uint8_t a[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 255, 0, 10, 1};
    REQUIRE(address_label(a) == "255.0.10.1");
    uint8_t zero[16] = {};
    REQUIRE(address_label(zero).empty());
    uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    REQUIRE(address_label(v6) == "2001:db8::1");
}

// The record the kernel packs for e (ebpf/log_record.h).
static std::vector<uint8_t> pack(const LogEvent& e) {
    static as_log_rec r;
    r = {};
    r.call = e.call;
    r.has_req = e.has_req && !as_log_pack(&r, &e.req, 0);
    r.has_resp = e.has_resp && !as_log_pack(&r, &e.resp, 1);
    auto* p = reinterpret_cast<const uint8_t*>(&r);
    return std::vector<uint8_t>(p, p + AS_LOG_HEAD + r.bytes);
}

TEST_CASE("log record: the packed record unpacks to the same line; one that does not add up is refused", "[log]") {
    Config cfg = config(true);
    LogFormatter f(cfg, [](const std::string&, uint64_t) { return "/orders/{id}"; });
    LogEvent want = event();
    auto rec = pack(want);
    // three request values and the path, one response value: far less than two whole captures
    CHECK(rec.size() == AS_LOG_HEAD + 5 + 13 + 10 + 33 + 4);
    static LogEvent got;
    REQUIRE(unpack_log_record(rec.data(), rec.size(), got));
    CHECK(f.line(got, 0) == f.line(want, 0));

    want.has_resp = 0;  // no response: nothing of it is read
    rec = pack(want);
    REQUIRE(unpack_log_record(rec.data(), rec.size(), got));
    CHECK(f.line(got, 0) == f.line(want, 0));

    CHECK_FALSE(unpack_log_record(rec.data(), AS_LOG_HEAD - 1, got));  // shorter than its head
    CHECK_FALSE(unpack_log_record(rec.data(), rec.size() - 1, got));   // bytes says more than came
    auto* r = reinterpret_cast<as_log_rec*>(rec.data());
    r->bytes -= 1;  // the lengths need one byte more than bytes
    CHECK_FALSE(unpack_log_record(rec.data(), rec.size(), got));
    r->bytes += 2;
    rec.push_back(0);  // one byte no value claims
    CHECK_FALSE(unpack_log_record(rec.data(), rec.size(), got));
}
