#include <catch2/catch.hpp>

#include "bpf_harness.h"

TEST_CASE("request lines are recognised with method and target", "[parser]") {
    auto s = parse_start("GET /api/users/42?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
    REQUIRE(s.kind == AS_MSG_REQUEST);
    CHECK(s.method == AS_METHOD_GET);
    CHECK(s.path_off == 4);
    CHECK(s.path_len == std::string("/api/users/42?x=1").size());
    CHECK(s.head_from == std::string("GET /api/users/42?x=1 ").size());

    CHECK(parse_start("DELETE /x HTTP/1.0\r\n\r\n").method == AS_METHOD_DELETE);
    CHECK(parse_start("PATCH /x HTTP/1.1\r\n\r\n").method == AS_METHOD_PATCH);
    CHECK(parse_start("OPTIONS * HTTP/1.1\r\n\r\n").method == AS_METHOD_OPTIONS);
    CHECK(parse_start("CONNECT h:443 HTTP/1.1\r\n\r\n").method == AS_METHOD_CONNECT);  // authority-form
}

TEST_CASE("unknown methods count as _OTHER only with a version", "[parser]") {
    auto s = parse_start("PURGE /cache HTTP/1.1\r\n\r\n");
    CHECK(s.kind == AS_MSG_REQUEST);
    CHECK(s.method == AS_METHOD_OTHER);
    CHECK(parse_start("FOO /bar").kind == AS_MSG_NONE);        // no version yet: not believed
    // a short line cut mid-target waits for the rest; a long one is taken as it is
    CHECK(parse_start("GET /bar").kind == AS_MSG_NONE);
    CHECK(parse_start("GET /bar").more == 1);
    std::string long_target = "GET /" + std::string(200, 'x');
    CHECK(parse_start(long_target).kind == AS_MSG_REQUEST);
    CHECK(parse_start("FOO /" + std::string(200, 'x')).kind == AS_MSG_NONE);
}

TEST_CASE("start lines cut short say whether more may complete them", "[parser]") {
    for (const char* prefix : {"G", "GE", "GET", "GET ", "GET /", "GET /a HTTP/1.", "GET /a HTTP/1.1", "H", "HTTP/1.",
                               "HTTP/1.1 ", "HTTP/1.1 20"})
        CHECK(parse_start(prefix).more == 1);
    for (const char* garbage : {"GET  /x", "get /x HTTP/1.1\r\n", "HTTP/1.1x200", "G\x01T /"})
        CHECK(parse_start(garbage).more == 0);
}

TEST_CASE("garbage, TLS and HTTP/2 are not HTTP/1", "[parser]") {
    CHECK(parse_start(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)).kind == AS_MSG_NONE);
    CHECK(parse_start("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").kind == AS_MSG_NONE);
    CHECK(parse_start("get /lower HTTP/1.1\r\n").kind == AS_MSG_NONE);
    CHECK(parse_start("GET  /double HTTP/1.1\r\n").kind == AS_MSG_NONE);
    CHECK(parse_start("GET /a\rb HTTP/1.1\r\n").kind == AS_MSG_NONE);
    CHECK(parse_start("GET /a HTTP/1.1x\r\n").kind == AS_MSG_NONE);
    CHECK(parse_start("HTTP/1.1 20").kind == AS_MSG_NONE);
    CHECK(parse_start("HTTP/1.1 999 X\r\n").kind == AS_MSG_NONE);
}

static bool first_look(const std::string& b) {
    return as_could_start_http(reinterpret_cast<const __u8*>(b.data()), std::min<size_t>(b.size(), AS_FIRST_BYTES));
}

TEST_CASE("a connection's first bytes are looked at before it is tracked", "[parser]") {
    // what the parser takes, and any start of it a first write may hold
    for (std::string ok : {"GET /x HTTP/1.1\r\n", "HTTP/1.1 200 OK\r\n", "PROPFIND /d HTTP/1.1\r\n",
                           "M-SEARCH * HTTP/1.1\r\n", "MKCALENDAR /c HTTP/1.1\r\n", "PURGE /p HTTP/1.1\r\n"})
        for (size_t n = 1; n <= ok.size(); n++) CHECK(first_look(ok.substr(0, n)));
    // binary protocols whose messages start with an uppercase letter
    CHECK_FALSE(first_look(std::string("Q\0\0\0\x0eSELECT 1;\0", 15)));  // PostgreSQL query
    CHECK_FALSE(first_look(std::string("T\0\0\0\x1b\0\1", 7)));          // row description
    CHECK_FALSE(first_look(std::string("Z\0\0\0\5I", 6)));               // ready for query
    CHECK_FALSE(first_look("SSH-2.0-OpenSSH_9.2"));
    CHECK_FALSE(first_look("Hello"));
    CHECK_FALSE(first_look("GET/x"));
    CHECK_FALSE(first_look("HTTPS/1.1 200"));
    CHECK_FALSE(first_look("\x16\x03\x01\x02"));  // TLS ClientHello
    CHECK_FALSE(first_look("*3\r\n$3\r\nSET"));    // Redis
    CHECK_FALSE(first_look(""));
    CHECK_FALSE(first_look("-POST /x HTTP/1.1\r\n"));  // and the parser agrees:
    CHECK(parse_start("-POST /x HTTP/1.1\r\n\r\n").kind == AS_MSG_NONE);
    // an uppercase word and a space may still be HTTP: the parser decides
    CHECK(first_look("PRI * HTTP/2.0\r\n"));
    CHECK(parse_start("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").kind == AS_MSG_NONE);
}

TEST_CASE("status lines give the code", "[parser]") {
    auto s = parse_start("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    REQUIRE(s.kind == AS_MSG_RESPONSE);
    CHECK(s.status == 404);
    CHECK(s.head_from == 12);
    CHECK(parse_start("HTTP/1.1 2000 X\r\n").kind == AS_MSG_NONE);
    CHECK(parse_start("HTTP/1.1 204\r\n\r\n").status == 204);  // no reason phrase
    CHECK(parse_start("HTTP/1.0 200 OK\r\n").status == 200);
}

TEST_CASE("start lines give the protocol version", "[parser]") {
    CHECK(parse_start("GET / HTTP/1.1\r\n\r\n").version == AS_VER_1_1);
    CHECK(parse_start("GET / HTTP/1.0\r\n\r\n").version == AS_VER_1_0);
    CHECK(parse_start("HTTP/1.0 200 OK\r\n").version == AS_VER_1_0);
    CHECK(parse_start("HTTP/1.1 200 OK\r\n").version == AS_VER_1_1);
    // a target longer than the window: taken as a request, its version unseen
    auto s = parse_start("GET /" + std::string(600, 'x') + " HTTP/1.0\r\n\r\n");
    CHECK(s.kind == AS_MSG_REQUEST);
    CHECK(s.version == AS_VER_UNKNOWN);
}

static as_head_scan scan(const std::vector<std::string>& parts, int* end_in_last = nullptr) {
    as_head_scan h{};
    int r = -1;
    for (const auto& p : parts) {
        as_window w{};
        memcpy(w.b, p.data(), p.size());
        r = as_scan_head(&h, &w, 0, p.size(), nullptr);
    }
    if (end_in_last) *end_in_last = r;
    return h;
}

TEST_CASE("head scanner finds Content-Length and chunked, case-insensitively", "[parser]") {
    int end = 0;
    auto h = scan({"Host: x\r\ncOnTeNt-LeNgTh:  1234 \r\nX-A: b\r\n\r\nBODY"}, &end);
    CHECK((h.flags & AS_HF_HAS_CL));
    CHECK(h.content_length == 1234);
    CHECK(end == (int)std::string("Host: x\r\ncOnTeNt-LeNgTh:  1234 \r\nX-A: b\r\n\r\n").size());

    h = scan({"Transfer-Encoding: gzip, chunked\r\n\r\n"});
    CHECK((h.flags & AS_HF_CHUNKED));
    h = scan({"X-Transfer-Encoding: chunked\r\nContent-Lengthy: 5\r\n\r\n"});
    CHECK(h.flags == 0);
}

TEST_CASE("head scanner carries state across split reads", "[parser]") {
    int end = 0;
    auto h = scan({"Content-Le", "ngth: 4", "2\r", "\n\r", "\n"}, &end);
    CHECK(h.content_length == 42);
    CHECK(end == 1);
    // a bare LF line ending and an empty line of LF only
    h = scan({"Content-Length: 7\n\n"}, &end);
    CHECK(h.content_length == 7);
    CHECK(end == 19);
}

TEST_CASE("bad or duplicate Content-Length is flagged", "[parser]") {
    CHECK((scan({"Content-Length: 12a\r\n\r\n"}).flags & AS_HF_BAD_CL));
    CHECK((scan({"Content-Length: 1\r\nContent-Length: 2\r\n\r\n"}).flags & AS_HF_BAD_CL));
    CHECK((scan({"Content-Length:\r\n\r\n"}).flags & AS_HF_BAD_CL));
    CHECK((scan({"Content-Length: 99999999999999999999\r\n\r\n"}).flags & AS_HF_BAD_CL));
}

TEST_CASE("folded and oddly spaced header lines do not confuse the scanner", "[parser]") {
    auto h = scan({"X-Long: a\r\n  continued\r\nContent-Length:\t\t9\r\n\r\n"});
    CHECK(h.content_length == 9);
}
