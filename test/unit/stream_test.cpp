#include <catch2/catch.hpp>

#include "bpf_harness.h"

static const bool IN = true, OUT = false;

TEST_CASE("server: keep-alive requests are matched to their responses", "[stream]") {
    Harness h;
    REQUIRE(h.feed(IN, "GET /a/1 HTTP/1.1\r\nHost: x\r\n\r\n", 1000) == 0);
    h.feed(OUT, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 5000);
    h.feed(IN, "POST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 10000);
    h.feed(OUT, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 10500);
    REQUIRE(h.records.size() == 2);
    CHECK(h.conn.role == AS_ROLE_SERVER);
    CHECK(h.counters[AS_CNT_CONN_OPENED] == 1);  // one HTTP connection, counted at its first request
    CHECK(h.route(h.records[0]) == "/a/{id}");
    CHECK(h.records[0].method == AS_METHOD_GET);
    CHECK(h.records[0].status == 200);
    CHECK(h.records[0].duration_ns == 4000);
    CHECK(h.records[0].resp_bytes == 5);
    CHECK(h.records[0].req_bytes == 0);
    CHECK(h.records[1].method == AS_METHOD_POST);
    CHECK(h.records[1].req_bytes == 3);
    CHECK(h.records[1].status == 201);
    CHECK(h.records[1].duration_ns == 500);
    // the series each counts under: the server side, the request's version
    CHECK(h.keys[0].direction == AS_DIR_SERVER);
    CHECK(h.keys[0].version == AS_VER_1_1);
    CHECK(h.keys[1].status == 201);
}

TEST_CASE("an HTTP/1.0 request counts as 1.0 on both ends", "[stream]") {
    Harness h;
    h.feed(OUT, "GET /x HTTP/1.0\r\n\r\n", 100);
    h.feed(IN, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 200);
    REQUIRE(h.records.size() == 1);
    CHECK(h.keys[0].direction == AS_DIR_CLIENT);
    CHECK(h.keys[0].version == AS_VER_1_0);
}

TEST_CASE("server: pipelined requests in one read", "[stream]") {
    Harness h;
    h.feed(IN, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nPUT /3 HTTP/1.1\r\nContent-Length: 2\r\n\r\nxy", 100);
    CHECK(h.conn.q_len == 3);
    h.feed(OUT,
           "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"
           "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nbb"
           "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n",
           300);
    REQUIRE(h.records.size() == 3);
    CHECK(h.records[0].status == 200);
    CHECK(h.records[1].status == 404);
    CHECK(h.records[1].resp_bytes == 2);
    CHECK(h.records[2].status == 500);
    CHECK(h.records[2].method == AS_METHOD_PUT);
    CHECK(h.records[2].req_bytes == 2);
    CHECK(h.route(h.records[1]) == "/{id}");
}

TEST_CASE("server: a request split over several reads, body in pieces", "[stream]") {
    Harness h;
    h.feed(IN, "POST /upload HTTP/1.1\r\nHost: x\r\nConte", 10);
    h.feed(IN, "nt-Length: 10\r", 20);
    h.feed(IN, "\n\r\n0123", 30);
    h.feed(IN, "456789", 40);
    h.feed(OUT, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 90);
    REQUIRE(h.records.size() == 1);
    CHECK(h.records[0].req_bytes == 10);
    CHECK(h.records[0].duration_ns == 80);  // from the first byte read
}

TEST_CASE("server: head then sendfile body", "[stream]") {
    Harness h;
    h.feed(IN, "GET /static/f.bin HTTP/1.1\r\n\r\n", 0);
    h.feed(OUT, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", 10);
    CHECK(h.records.empty());
    h.opaque(OUT, 65536);
    h.opaque(OUT, 100000 - 65536);
    REQUIRE(h.records.size() == 1);
    CHECK(h.records[0].resp_bytes == 100000);
}

TEST_CASE("server: chunked response decoded to its payload size", "[stream]") {
    Harness h;
    h.feed(IN, "GET /c HTTP/1.1\r\n\r\n", 0);
    h.feed(OUT, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 5);
    h.feed(OUT, "5\r\nhello\r\n", 6);
    h.feed(OUT, "1a;ext=1\r\n", 7);
    h.feed(OUT, std::string(26, 'z') + "\r\n", 8);
    CHECK(h.records.empty());
    h.feed(OUT, "0\r\n\r\n", 9);
    REQUIRE(h.records.size() == 1);
    CHECK(h.records[0].resp_bytes == 31);
    // next request on the same connection still parses
    h.feed(IN, "GET /d HTTP/1.1\r\n\r\n", 10);
    h.feed(OUT, "HTTP/1.1 204 No Content\r\n\r\n", 11);
    REQUIRE(h.records.size() == 2);
    CHECK(h.records[1].status == 204);
}

TEST_CASE("server: chunked request body with trailers", "[stream]") {
    Harness h;
    h.feed(IN, "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n", 0);
    h.feed(OUT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 3);
    REQUIRE(h.records.size() == 1);
    CHECK(h.records[0].req_bytes == 3);
}

TEST_CASE("HEAD, 304 and 100-continue have no body", "[stream]") {
    Harness h;
    h.feed(IN, "HEAD /h HTTP/1.1\r\n\r\n", 0);
    h.feed(OUT, "HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n", 1);
    REQUIRE(h.records.size() == 1);
    CHECK(h.records[0].resp_bytes == 0);
    h.feed(IN, "POST /p HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n", 2);
    h.feed(OUT, "HTTP/1.1 100 Continue\r\n\r\n", 3);
    h.feed(IN, "data", 4);
    h.feed(OUT, "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n", 7);
    REQUIRE(h.records.size() == 2);
    CHECK(h.records[1].status == 304);
    CHECK(h.records[1].req_bytes == 4);
    CHECK(h.records[1].duration_ns == 5);  // to the final response, not the interim one
}

TEST_CASE("HTTP/1.0 close-delimited response ends at close", "[stream]") {
    Harness h;
    h.feed(IN, "GET /old HTTP/1.0\r\n\r\n", 0);
    h.feed(OUT, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nabc", 1);
    h.feed(OUT, "defg", 2);
    CHECK(h.records.empty());
    h.close(3);
    REQUIRE(h.records.size() == 1);
    CHECK(h.records[0].resp_bytes == 7);
    CHECK(h.records[0].error == AS_ERR_NONE);
}

TEST_CASE("client side: written request, read response, EOF-delimited", "[stream]") {
    Harness h;
    h.feed(OUT, "GET /remote HTTP/1.1\r\nHost: s\r\n\r\n", 100);
    CHECK(h.conn.role == AS_ROLE_CLIENT);
    h.feed(IN, "HTTP/1.1 503 Unavailable\r\n", 700);
    h.feed(IN, "Connection: close\r\n\r\nbusy", 800);
    h.eof(IN);
    REQUIRE(h.records.size() == 1);
    CHECK(h.records[0].status == 503);
    CHECK(h.records[0].duration_ns == 600);
    CHECK(h.records[0].resp_bytes == 4);
}

TEST_CASE("requests without a response are recorded as errors at close", "[stream]") {
    Harness h;
    h.feed(OUT, "GET /slow HTTP/1.1\r\n\r\n", 100);
    h.close(5100);
    REQUIRE(h.records.size() == 1);
    CHECK(h.records[0].status == 0);
    CHECK(h.records[0].error == AS_ERR_CONN_CLOSED);
    CHECK(h.records[0].duration_ns == 5000);
}

TEST_CASE("non-HTTP first bytes are refused, mid-stream joins resync", "[stream]") {
    Harness h;
    CHECK(h.feed(IN, "\x16\x03\x01 binary", 0) == -1);
    Harness j;
    // joined in the middle of a response body: ignored until a start line
    CHECK(j.feed(OUT, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", 0) == 0);
    CHECK(j.counters[AS_CNT_UNMATCHED_RESPONSE] == 1);
    CHECK(j.records.empty());
}

TEST_CASE("pipeline deeper than the queue is counted, not mismatched", "[stream]") {
    Harness h;
    std::string many;
    for (int i = 0; i < AS_PIPELINE + 2; i++) many += "GET /p HTTP/1.1\r\n\r\n";
    h.feed(IN, many, 0);
    CHECK(h.counters[AS_CNT_PIPELINE_OVERFLOW] == 2);
    CHECK(h.conn.q_len == AS_PIPELINE);
}

TEST_CASE("upgrade to websocket stops parsing", "[stream]") {
    Harness h;
    h.feed(IN, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", 0);
    h.feed(OUT, "HTTP/1.1 101 Switching Protocols\r\n\r\n", 1);
    CHECK(h.conn.role == AS_ROLE_OFF);
    CHECK(h.records.empty());  // HTTP/2 (h2c) may follow: what comes next tells
    h.feed(IN, std::string("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11), 2);  // a WebSocket frame
    REQUIRE(h.records.size() == 1);
    CHECK(h.records[0].status == 101);
    CHECK(h.conn.proto == AS_PROTO_H1);
    h.feed(IN, "GET /not-http-any-more HTTP/1.1\r\n\r\n", 3);
    CHECK(h.conn.q_len == 0);
    CHECK(h.records.size() == 1);
}

TEST_CASE("start lines split across reads, and status lines without a reason", "[stream]") {
    Harness h;
    h.feed(IN, "GET /split/path HTTP/1.", 0);
    h.feed(IN, "1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab", 1);
    h.feed(OUT, "HTTP/1.1 200 O", 2);
    h.feed(OUT, "K\r\nContent-Length: 2\r\n\r\nhi", 3);
    h.feed(IN, "GET /next HTTP/1.1\r\n\r\n", 4);
    h.feed(OUT, "HTTP/1.1 204\r\n\r\n", 5);
    REQUIRE(h.records.size() == 2);
    CHECK(h.route(h.records[0]) == "/split/path");
    CHECK(h.records[0].req_bytes == 2);
    CHECK(h.records[0].resp_bytes == 2);
    CHECK(h.records[1].status == 204);
    CHECK(h.records[1].resp_bytes == 0);
}

TEST_CASE("server: a response before the request body is recorded when the body ends", "[stream]") {
    // nginx's `return` and early 4xx answer before reading the body; over TLS
    // the body then comes in a later read
    Harness h;
    h.feed(IN, "POST /upload HTTP/1.1\r\nContent-Length: 10\r\n\r\n", 100);
    h.feed(OUT, "HTTP/1.1 413 Too Large\r\nContent-Length: 4\r\n\r\nbig!", 300);
    CHECK(h.records.empty());
    h.feed(IN, "0123456789", 400);
    REQUIRE(h.records.size() == 1);
    CHECK(h.records[0].status == 413);
    CHECK(h.records[0].req_bytes == 10);
    CHECK(h.records[0].resp_bytes == 4);
    CHECK(h.records[0].duration_ns == 200);  // to the response's first byte
    // the connection goes on as usual
    h.feed(IN, "GET /next HTTP/1.1\r\n\r\n", 500);
    h.feed(OUT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 600);
    REQUIRE(h.records.size() == 2);
    CHECK(h.records[1].status == 200);
}

TEST_CASE("server: an early response whose body never comes is recorded at close", "[stream]") {
    Harness h;
    h.feed(IN, "PUT /x HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc", 100);
    h.feed(OUT, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n", 200);
    CHECK(h.records.empty());
    h.close(900);
    REQUIRE(h.records.size() == 1);
    CHECK(h.records[0].status == 401);
    CHECK(h.records[0].error == AS_ERR_NONE);
    CHECK(h.records[0].req_bytes == 3);  // what came of the body
}

TEST_CASE("client: a response before the whole request body was written", "[stream]") {
    Harness h;
    h.feed(OUT, "POST /api HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", 100);
    h.feed(IN, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 200);
    CHECK(h.records.empty());
    h.feed(OUT, "0\r\n\r\n", 300);
    REQUIRE(h.records.size() == 1);
    CHECK(h.records[0].status == 400);
    CHECK(h.records[0].req_bytes == 5);
}

TEST_CASE("server: a request written one byte at a time (slowloris) is read whole", "[stream]") {
    Harness h;
    std::string req = "GET /api/users/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    uint64_t t = 1000;
    for (char c : req) REQUIRE(h.feed(IN, std::string(1, c), t++) == 0);
    h.feed(OUT, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 5000);
    REQUIRE(h.records.size() == 1);
    CHECK(h.route(h.records[0]) == "/api/users/{id}");
    CHECK(h.records[0].method == AS_METHOD_GET);
    CHECK(h.records[0].duration_ns == 5000 - 1000);  // from the first byte
    CHECK(h.counters[AS_CNT_NOT_HTTP] == 0);
}

TEST_CASE("a start line cut mid-target keeps the whole route; responses too", "[stream]") {
    Harness h;
    h.feed(OUT, "GET /orders/12", 10);  // a client writing its request in pieces
    h.feed(OUT, "34/items HTTP/1.1\r\nHost: x\r\n\r\n", 20);
    h.feed(IN, "HTTP/1.", 30);
    h.feed(IN, "1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 40);
    REQUIRE(h.records.size() == 1);
    CHECK(h.conn.role == AS_ROLE_CLIENT);
    CHECK(h.route(h.records[0]) == "/orders/{id}/items");
    CHECK(h.records[0].status == 404);
    CHECK(h.records[0].duration_ns == 20);  // request's first byte to response's first byte
}

TEST_CASE("bytes that cannot begin HTTP are not kept waiting", "[stream]") {
    Harness h;
    CHECK(h.feed(IN, "get lower", 1) == -1);
    Harness h2;
    CHECK(h2.feed(IN, "GE", 1) == 0);      // may be HTTP: kept
    CHECK(h2.feed(IN, "T\x01/", 2) == -1); // is not
}

TEST_CASE("a connection repeating its request target reuses the route, and only that target", "[stream]") {
    Harness h;
    const char* targets[] = {"/a/1", "/a/1", "/b?x=1", "/a/1", "/a/2", "/b?x=1", "/b?x=2"};
    for (auto t : targets) {
        h.feed(OUT, std::string("GET ") + t + " HTTP/1.1\r\nHost: x\r\n\r\n", 0);
        h.feed(IN, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 10);
    }
    REQUIRE(h.records.size() == 7);
    const char* want[] = {"/a/{id}", "/a/{id}", "/b", "/a/{id}", "/a/{id}", "/b", "/b"};
    for (size_t i = 0; i < 7; i++) CHECK(h.route(h.records[i]) == want[i]);
    // the route hook ran for each target that differs from the one before it, not for repeats
    CHECK(Harness::routes.size() == 6);
}

TEST_CASE("a new connection reuses the route its CPU last found for the same service and target", "[stream]") {
    Harness h;
    const char* comms[] = {"svc", "svc", "other", "svc"};
    for (auto comm : comms) {
        h.conn = as_conn{};  // a connection per request, all on one CPU (one scratch)
        memcpy(h.conn.comm, comm, strlen(comm));
        h.feed(OUT, "GET /a/1 HTTP/1.1\r\nHost: x\r\n\r\n", 0);
        h.feed(IN, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 10);
    }
    REQUIRE(h.records.size() == 4);
    for (const auto& r : h.records) CHECK(h.route(r) == "/a/{id}");
    CHECK(h.records[1].route_id == h.records[0].route_id);
    // another service asks for its own route id, and then svc again
    CHECK(Harness::routes.size() == 3);
}

TEST_CASE("a repeated target keeps its LLM route kind", "[stream]") {
    Harness h;
    Harness::genai_routes["/v1/chat/completions"] = 1;
    for (int i = 0; i < 2; i++) {
        h.feed(IN, "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", 0);
        h.feed(OUT, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 10);
    }
    REQUIRE(h.records.size() == 2);
    CHECK(h.records[0].genai == 1);
    CHECK(h.records[1].genai == 1);
    CHECK(Harness::routes.size() == 1);
}

TEST_CASE("a connection counts as HTTP once its first message is recognised", "[stream]") {
    // bytes that pass the first look (a word and a space) but are not HTTP
    Harness smtp;
    CHECK(smtp.feed(OUT, "EHLO client.example\r\n", 10) == -1);
    CHECK(smtp.counters[AS_CNT_CONN_OPENED] == 0);

    // a client seen first by its response (apiscope attached mid-connection)
    Harness late;
    late.feed(IN, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 10);
    CHECK(late.counters[AS_CNT_CONN_OPENED] == 1);
}
