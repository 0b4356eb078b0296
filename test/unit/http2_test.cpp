// HTTP/2: the kernel's framer (ebpf/http2_stream.h) fed the bytes nghttp2's
// client and server sessions put on the wire, then the exporter's tracker
// and HPACK decoding (nghttp2's inflater) over the records the framer made.
#include <catch2/catch.hpp>
#include <set>

#include "bpf_harness.h"
#include "h2_peer.h"
#include "genai/genai_parse.h"
#include "http2/h2_tracker.h"

using namespace apiscope;

static const bool IN = true, OUT = false;

namespace {

std::string value_of(const std::vector<HeaderField>& fields, const std::string& name) {
    for (const auto& f : fields)
        if (f.name == name) return f.value;
    return "<absent>";
}

// The exporter's view of what the harness's ring holds.
std::vector<H2Exchange> exchanges(size_t max_table = 65536) {
    std::vector<H2Exchange> out;
    H2Tracker t(100, max_table, [&](H2Exchange&& x) { out.push_back(std::move(x)); },
                [](uint32_t, uint32_t, uint64_t conn, uint32_t stream) -> std::optional<as_h2_stream> {
                    auto it = Harness::h2_spill.find(stream);
                    if (it == Harness::h2_spill.end() || it->second.conn != conn) return std::nullopt;
                    as_h2_stream st = it->second.st;
                    Harness::h2_spill.erase(it);
                    return st;
                });
    for (const auto& r : Harness::h2_ring) t.record(r.data(), r.size());
    return out;
}

// A server-side harness between an nghttp2 client and server: what the
// client sends the server reads (IN), what the server sends it writes (OUT).
struct ServerSide {
    Harness h;
    H2Peer client{false}, server{true};
    uint64_t t = 1000;

    void to_server(const std::string& b) {
        h.feed(IN, b, t += 1000);
        server.recv(b);
    }
    void to_client(const std::string& b) {
        h.feed(OUT, b, t += 1000);
        client.recv(b);
    }
    void exchange() {  // whatever is queued, both ways, until both are quiet
        for (int i = 0; i < 8; i++) {
            std::string c = client.send(), s = server.send();
            if (c.empty() && s.empty()) return;
            if (!c.empty()) to_server(c);
            if (!s.empty()) to_client(s);
        }
    }
};

}  // namespace

TEST_CASE("http2: the preface makes the reader the server; a request and its response", "[http2]") {
    ServerSide x;
    int32_t id = x.client.request("GET", "/api/users/42", {{"user-agent", "nghttp2-test"}});
    x.to_server(x.client.send());
    CHECK(x.h.conn.proto == AS_PROTO_H2);
    CHECK(x.h.conn.role == AS_ROLE_SERVER);
    CHECK(x.h.counters[AS_CNT_CONN_OPENED] == 1);
    REQUIRE(x.server.begun == std::vector<int32_t>{id});
    uint64_t request_at = x.t;
    x.server.respond(id, "200", {{"content-type", "text/plain"}}, "hello");
    x.to_client(x.server.send());
    REQUIRE(x.h.h2_ends.size() == 1);
    const auto& e = x.h.h2_ends[0];
    CHECK(e.stream == uint32_t(id));
    CHECK(e.why == 0);
    CHECK(e.st.req_ns == request_at);
    CHECK(e.st.resp_ns == x.t);
    CHECK(e.st.resp_bytes == 5);
    CHECK(e.st.req_bytes == 0);
    CHECK(!as_h2_in_flight(&x.h.conn));
    CHECK(x.h.h2_spill.empty());

    // the two blocks were held back in the connection: one ring record in all
    REQUIRE(x.h.h2_ring.size() == 1);
    as_h2_end rec;
    memcpy(&rec, x.h.h2_ring[0].data(), sizeof(rec));
    CHECK(rec.h.kind == AS_H2R_END);
    CHECK(rec.h.len == 2 * sizeof(as_h2_held));

    auto got = exchanges();
    REQUIRE(got.size() == 1);
    CHECK(value_of(got[0].request, ":method") == "GET");
    CHECK(value_of(got[0].request, ":path") == "/api/users/42");
    CHECK(value_of(got[0].request, "user-agent") == "nghttp2-test");
    CHECK(value_of(got[0].response, ":status") == "200");
    CHECK(got[0].unknown == 0);
    CHECK(got[0].call.direction == AS_DIR_SERVER);
    CHECK(got[0].call.version == AS_VER_2);
    CHECK(got[0].call.resp_bytes == 5);
    CHECK(got[0].call.duration_ns == x.t - request_at);
}

TEST_CASE("http2: the writer of the preface is the client", "[http2]") {
    Harness h;
    H2Peer client(false), server(true);
    int32_t id = client.request("POST", "/v1/items", {{"content-type", "application/json"}}, std::string(300, 'x'));
    std::string out = client.send();
    h.feed(OUT, out, 100);
    server.recv(out);
    CHECK(h.conn.role == AS_ROLE_CLIENT);
    server.respond(id, "201", {}, "{}");
    std::string in = server.send();
    h.feed(IN, in, 900);
    REQUIRE(h.h2_ends.size() == 1);
    CHECK(h.h2_ends[0].st.req_bytes == 300);
    CHECK(h.h2_ends[0].st.resp_bytes == 2);
    auto got = exchanges();
    REQUIRE(got.size() == 1);
    CHECK(got[0].call.direction == AS_DIR_CLIENT);
    CHECK(value_of(got[0].response, ":status") == "201");
}

TEST_CASE("http2: many streams interleaved, answered out of order, the dynamic table in use", "[http2]") {
    ServerSide x;
    std::vector<int32_t> ids;
    for (int i = 0; i < 40; i++)  // later requests refer to the table the first ones filled
        ids.push_back(x.client.request("GET", "/items/" + std::to_string(i % 4), {{"x-tenant", "acme"}}));
    x.to_server(x.client.send());
    REQUIRE(x.server.begun.size() == 40);
    for (auto it = ids.rbegin(); it != ids.rend(); ++it)
        x.server.respond(*it, *it % 3 ? "200" : "404", {{"x-served-by", "edge"}}, std::string(*it, 'b'));
    x.to_client(x.server.send());
    REQUIRE(x.h.h2_ends.size() == 40);
    auto got = exchanges();
    REQUIRE(got.size() == 40);
    for (const auto& e : got) {
        int i = (e.stream - 1) / 2;
        CHECK(value_of(e.request, ":path") == "/items/" + std::to_string(i % 4));
        CHECK(value_of(e.request, "x-tenant") == "acme");
        CHECK(value_of(e.response, ":status") == (e.stream % 3 ? "200" : "404"));
        CHECK(e.call.resp_bytes == e.stream);
        CHECK(e.unknown == 0);
    }
}

TEST_CASE("http2: frames cut across reads at every offset", "[http2]") {
    for (size_t piece = 1; piece <= 23; piece += 2) {
        Harness h;
        H2Peer client(false), server(true);
        client.padding = 7;  // padded HEADERS and DATA frames too
        server.padding = 5;
        int32_t a = client.request("POST", "/upload", {{"x-a", "1"}}, std::string(100, 'u'));
        int32_t b = client.request("GET", "/b");
        std::string out = client.send();
        for (size_t at = 0; at < out.size(); at += piece) h.feed(IN, out.substr(at, piece), 10 + at);
        server.recv(out);
        server.respond(b, "204");
        server.respond(a, "200", {}, std::string(1000, 'r'));
        std::string in = server.send();
        for (size_t at = 0; at < in.size(); at += piece) h.feed(OUT, in.substr(at, piece), 5000 + at);
        INFO("pieces of " << piece << " bytes");
        REQUIRE(h.h2_ends.size() == 2);
        auto got = exchanges();
        REQUIRE(got.size() == 2);
        for (const auto& e : got) {
            CHECK(e.unknown == 0);
            if (e.stream == uint32_t(a)) {
                CHECK(e.call.req_bytes == 100);  // padding is not body
                CHECK(e.call.resp_bytes == 1000);
                CHECK(value_of(e.request, "x-a") == "1");
            } else {
                CHECK(value_of(e.response, ":status") == "204");
                CHECK(e.call.resp_bytes == 0);
            }
        }
    }
}

TEST_CASE("http2: a header block in CONTINUATION frames", "[http2]") {
    ServerSide x;
    std::string big(40000, 'c');  // past the 16 KiB frame: HEADERS then CONTINUATIONs
    int32_t id = x.client.request("GET", "/big", {{"cookie", big}});
    x.to_server(x.client.send());
    x.server.respond(id, "200", {}, "ok");
    x.to_client(x.server.send());
    size_t fragments = 0;
    for (const auto& b : x.h.h2_blocks) fragments += b.stream == uint32_t(id) && (b.flags & AS_H2R_IN);
    CHECK(fragments >= 3);
    auto got = exchanges();
    REQUIRE(got.size() == 1);
    CHECK(value_of(got[0].request, "cookie") == big);
    CHECK(value_of(got[0].response, ":status") == "200");
}

TEST_CASE("http2: trailers end a response; a trailers-only response", "[http2]") {
    ServerSide x;
    int32_t a = x.client.request("POST", "/pkg.Svc/Get", {{"content-type", "application/grpc"}}, "\0\0\0\0\0");
    int32_t b = x.client.request("POST", "/pkg.Svc/Missing", {{"content-type", "application/grpc"}}, "\0\0\0\0\0");
    x.to_server(x.client.send());
    x.server.respond(a, "200", {{"content-type", "application/grpc"}}, std::string(12, 'm'),
                     {{"grpc-status", "0"}, {"grpc-message", ""}});
    x.server.respond(b, "200", {{"content-type", "application/grpc"}, {"grpc-status", "5"}});
    x.to_client(x.server.send());
    auto got = exchanges();
    REQUIRE(got.size() == 2);
    for (const auto& e : got) {
        if (e.stream == uint32_t(a)) {
            CHECK(value_of(e.trailers, "grpc-status") == "0");
            CHECK(e.call.resp_bytes == 12);
        } else {
            CHECK(value_of(e.response, "grpc-status") == "5");
            CHECK(e.trailers.empty());
        }
    }
}

TEST_CASE("http2: a reset stream ends with its code; a closed connection ends the rest", "[http2]") {
    ServerSide x;
    int32_t a = x.client.request("GET", "/slow");
    int32_t b = x.client.request("GET", "/never");
    x.to_server(x.client.send());
    x.server.reset(a, NGHTTP2_CANCEL);
    x.to_client(x.server.send());
    REQUIRE(x.h.h2_ends.size() == 1);
    CHECK(x.h.h2_ends[0].why == (uint32_t(AS_ERR_H2_RESET) << 16 | NGHTTP2_CANCEL));
    x.h.close(x.t += 1000);
    auto got = exchanges();
    REQUIRE(got.size() == 2);
    CHECK(got[0].stream == uint32_t(a));
    CHECK(got[0].call.error == AS_ERR_H2_RESET);
    CHECK(got[0].code == NGHTTP2_CANCEL);
    CHECK(got[1].stream == uint32_t(b));
    CHECK(got[1].call.error == AS_ERR_CONN_CLOSED);
    CHECK(value_of(got[1].request, ":path") == "/never");
    CHECK_FALSE(got[1].response_seen);
}

TEST_CASE("http2: more streams open at once than a connection keeps in its own state", "[http2]") {
    // the first AS_H2_SLOTS in the connection, the rest in the map
    ServerSide x;
    std::vector<int32_t> ids;
    for (int i = 0; i < AS_H2_SLOTS + 4; i++) ids.push_back(x.client.request("GET", "/s/" + std::to_string(i)));
    x.to_server(x.client.send());
    CHECK(x.h.h2_spill.size() == 4);
    for (size_t i = ids.size(); i-- > 0;)  // answered last first, each with its own body length
        x.server.respond(ids[i], "200", {}, std::string(i + 1, 'b'));
    x.to_client(x.server.send());
    REQUIRE(x.h.h2_ends.size() == ids.size());
    CHECK(!as_h2_in_flight(&x.h.conn));
    CHECK(x.h.h2_spill.empty());
    CHECK(x.h.conn.h2_spill == 0);
    auto got = exchanges();
    REQUIRE(got.size() == ids.size());
    for (const auto& e : got) {
        size_t i = std::find(ids.begin(), ids.end(), int32_t(e.stream)) - ids.begin();
        REQUIRE(i < ids.size());
        CHECK(value_of(e.request, ":path") == "/s/" + std::to_string(i));
        CHECK(e.call.resp_bytes == i + 1);
        CHECK(e.call.error == AS_ERR_NONE);
    }
    // then as many again, left open: a close ends those in the slots in the
    // kernel, the exporter those in the map
    ids.clear();
    for (int i = 0; i < AS_H2_SLOTS + 3; i++) ids.push_back(x.client.request("GET", "/open/" + std::to_string(i)));
    x.to_server(x.client.send());
    x.h.close(x.t += 1000);
    CHECK(x.h.h2_ends.size() == (AS_H2_SLOTS + 4) + AS_H2_SLOTS);  // the slots' ended in the kernel
    got = exchanges();
    REQUIRE(got.size() == 2 * ids.size() + 1);
    std::set<std::string> closed;
    for (size_t i = ids.size() + 1; i < got.size(); i++) {
        CHECK(got[i].call.error == AS_ERR_CONN_CLOSED);
        CHECK(got[i].call.start_ns > 0);
        closed.insert(value_of(got[i].request, ":path"));
    }
    CHECK(closed.size() == ids.size());
    CHECK(Harness::h2_spill.empty());  // the exporter took them
}

TEST_CASE("http2: a held block goes before a longer one that refers to it", "[http2]") {
    // the first request's block is short (held back in the connection); the
    // second's is long (sent at once) and refers to the table entries the
    // first one made: the exporter must read the first before it
    ServerSide x;
    int32_t a = x.client.request("GET", "/a", {{"x-tenant", "acme"}});
    int32_t b = x.client.request("GET", "/b", {{"x-tenant", "acme"}, {"x-long", std::string(100, 'l')}});
    x.to_server(x.client.send());
    x.server.respond(a, "200");
    x.server.respond(b, "200");
    x.to_client(x.server.send());
    auto got = exchanges();
    REQUIRE(got.size() == 2);
    for (const auto& e : got) {
        CHECK(e.unknown == 0);
        CHECK(value_of(e.request, "x-tenant") == "acme");
        CHECK(value_of(e.request, ":path") == (e.stream == uint32_t(a) ? "/a" : "/b"));
    }
}

TEST_CASE("http2: a table size update; the decoder follows the peer's", "[http2]") {
    Harness h;
    // the server asks for no dynamic table: the client's encoder must update to 0
    H2Peer client(false), server(true, {{NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, 0}});
    client.request("GET", "/one", {{"x-long", std::string(100, 'v')}});
    std::string c = client.send();
    h.feed(IN, c, 10);
    server.recv(c);
    std::string s = server.send();
    h.feed(OUT, s, 20);
    client.recv(s);
    int32_t id = client.request("GET", "/two", {{"x-long", std::string(100, 'v')}});
    c = client.send();
    h.feed(IN, c, 30);
    server.recv(c);
    server.respond(1, "200");
    server.respond(id, "200");
    h.feed(OUT, server.send(), 40);
    auto got = exchanges();
    REQUIRE(got.size() == 2);
    CHECK(value_of(got[1].request, ":path") == "/two");
    CHECK(value_of(got[1].request, "x-long") == std::string(100, 'v'));
    CHECK(got[1].unknown == 0);
}

TEST_CASE("http2: seen from the middle of a connection: counted, what the table hides unknown", "[http2]") {
    H2Peer client(false), server(true);
    std::vector<int32_t> first;
    for (int i = 0; i < 3; i++) first.push_back(client.request("GET", "/api/orders", {{"x-tenant", "acme"}}));
    std::string c = client.send();
    server.recv(c);
    for (auto id : first) server.respond(id, "200", {{"x-served-by", "edge-1"}}, "x");
    client.recv(server.send());
    // apiscope starts now: no preface, a table it never saw
    Harness h;
    h.h2_midstream();
    int32_t id = client.request("GET", "/api/orders", {{"x-tenant", "acme"}, {"x-new", "fresh"}});
    c = client.send();
    h.feed(IN, c, 100);
    server.recv(c);
    CHECK(h.conn.role == AS_ROLE_SERVER);  // from the request's pseudo-header fields
    server.respond(id, "200", {{"x-served-by", "edge-1"}}, "yy");
    h.feed(OUT, server.send(), 200);
    REQUIRE(h.h2_ends.size() == 1);
    CHECK(h.h2_ends[0].st.resp_bytes == 2);
    auto got = exchanges();
    REQUIRE(got.size() == 1);
    const auto& e = got[0];
    CHECK(e.loss == TableLoss::Midstream);
    CHECK(e.unknown > 0);
    CHECK(value_of(e.request, ":method") == "GET");  // the static table
    CHECK(value_of(e.request, "x-new") == "fresh");  // a literal
    CHECK(value_of(e.request, ":path") == "/api/orders");  // nghttp2 never indexes :path: a literal
    CHECK(value_of(e.request, "x-tenant") == "<absent>");   // in the table it did not see
    CHECK(value_of(e.response, ":status") == "200");
    CHECK(value_of(e.response, "x-served-by") == "<absent>");
    for (const auto& f : e.request) CHECK(f.name != ":unknown");
}

TEST_CASE("http2: bytes after a preface that are not frames drop the connection", "[http2]") {
    Harness h;
    std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    REQUIRE(h.feed(IN, preface + std::string("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9), 10) == 0);
    CHECK(h.conn.proto == AS_PROTO_H2);
    // an HTTP/1 answer where frames belong reads as a frame of an unknown
    // type, which is skipped (RFC 9113 4.1): nothing comes of it
    CHECK(h.feed(OUT, "HTTP/1.1 400 Bad Request\r\n\r\n", 20) == 0);
    CHECK(h.h2_blocks.empty());
    Harness m;
    m.h2_midstream();
    CHECK(m.feed(IN, "GET / HTTP/1.1\r\n\r\n", 10) == -1);  // not a plausible frame: dropped
    CHECK(m.counters[AS_CNT_H2_FRAMING_LOST] == 1);
    CHECK(m.h2_ends.empty());
}

TEST_CASE("http2: the first look tells frames from other binary protocols", "[http2]") {
    auto look = [](const std::string& b) {
        return as_could_be_h2(reinterpret_cast<const __u8*>(b.data()), b.size());
    };
    CHECK(look(std::string("\x00\x00\x06\x04\x00\x00\x00\x00\x00", 9)));            // SETTINGS
    CHECK(look(std::string("\x00\x00\x0a\x01\x05\x00\x00\x00\x03", 9)));            // HEADERS on stream 3
    CHECK_FALSE(look(std::string("\x16\x03\x01\x00\xf5\x01\x00\x00\xf1", 9)));      // a TLS ClientHello
    CHECK_FALSE(look(std::string("\x00\x00\x00\x54\x00\x03\x00\x00\x75", 9)));      // PostgreSQL's startup
    CHECK_FALSE(look(std::string("\x00\x00\x06\x04\x00\x00\x00\x00\x01", 9)));      // SETTINGS on a stream
    CHECK_FALSE(look(std::string("\x00\x00\x00\x00\x00\x00", 6)));                  // too short to tell
    CHECK_FALSE(look("*3\r\n$3\r\nSET\r\n"));                                            // Redis
}

TEST_CASE("http2: a server's SETTINGS written before it reads the preface", "[http2]") {
    // TLS servers (nginx) send their SETTINGS as soon as the handshake ends:
    // the kernel's first look takes that frame for a connection seen from its
    // middle, and the preface read next says it is the start after all
    Harness h;
    H2Peer client(false), server(true);
    std::string settings = server.send();
    h.h2_midstream();
    REQUIRE(h.feed(OUT, settings, 10) == 0);
    CHECK(h.conn.role == AS_ROLE_UNKNOWN);
    int32_t id = client.request("GET", "/items/1", {{"x-tenant", "acme"}});
    std::string c = client.send();
    h.feed(IN, c, 20);
    server.recv(c);
    CHECK(h.conn.role == AS_ROLE_SERVER);
    CHECK(h.conn.h2_mid == 0);
    server.respond(id, "200", {}, "item");
    h.feed(OUT, server.send(), 30);
    auto got = exchanges();
    REQUIRE(got.size() == 1);
    CHECK(got[0].unknown == 0);
    CHECK(value_of(got[0].request, "x-tenant") == "acme");
}

TEST_CASE("http2: Upgrade: h2c, 101, and the request answered on stream 1", "[http2]") {
    for (bool together : {false, true}) {
        Harness h;
        H2Peer client(false), server(true);
        h.feed(IN,
               "GET /items/5 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
               "HTTP2-Settings: AAMAAABk\r\n\r\n",
               100);
        std::string payload = client.upgrade();
        server.upgrade(payload);
        server.respond(1, "200", {{"x-up", "yes"}}, "upgraded");
        std::string frames = server.send();
        std::string switching = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";
        if (together) {  // the 101 and the first frames in one write
            h.feed(OUT, switching + frames, 200);
        } else {
            h.feed(OUT, switching, 200);
            CHECK(h.records.empty());
            h.feed(OUT, frames, 300);
        }
        INFO("101 and frames " << (together ? "together" : "apart"));
        CHECK(h.conn.proto == AS_PROTO_H2);
        CHECK(h.conn.role == AS_ROLE_SERVER);
        client.recv(frames);
        std::string preface = client.send();  // the client's preface comes after the server's frames
        h.feed(IN, preface, 400);
        server.recv(preface);
        CHECK(h.records.empty());        // not an HTTP/1 exchange: an HTTP/2 one
        REQUIRE(h.h2_ends.size() == 1);
        CHECK(h.h2_ends[0].stream == 1);
        CHECK(h.h2_ends[0].st.req_ns == 100);
        CHECK(h.h2_ends[0].st.upgraded == 1);
        CHECK(h.conn.h2_up_method == AS_METHOD_GET);
        CHECK(h.route(as_record{.route_id = h.conn.h2_up_route}) == "/items/{id}");
        CHECK(h.h2_ends[0].st.resp_bytes == 8);
        // the client's next request is an HTTP/2 one on stream 3
        int32_t id = client.request("GET", "/after");
        std::string c = client.send();
        h.feed(IN, c, 500);
        server.recv(c);
        server.respond(id, "204");
        h.feed(OUT, server.send(), 600);
        auto got = exchanges();
        REQUIRE(got.size() == 2);
        CHECK(got[0].stream == 1);
        CHECK(got[0].unknown == 0);  // its request was HTTP/1: the kernel sent its method and route
        CHECK(value_of(got[0].response, ":status") == "200");
        CHECK(value_of(got[1].request, ":path") == "/after");
        CHECK(got[1].unknown == 0);
    }
}

TEST_CASE("http2: which end wrote a block, from its first fields", "[http2]") {
    auto side = [](const std::string& b) {
        as_window w{};
        std::memcpy(w.b, b.data(), std::min(b.size(), sizeof w.b));
        return as_h2_block_side(&w, b.size());
    };
    CHECK(side("\x82\x86\x84") == 1);                    // :method GET first
    CHECK(side("\x88") == 2);                            // :status 200
    CHECK(side("\x3f\xe1\x1f\x88") == 2);                // a size update (4096) first
    CHECK(side("\xbe\xbf\x83") == 1);                    // dynamic entries (:path, :authority), then POST
    CHECK(side("\x44\x04/abc\x83") == 1);                // a literal :path, then :method
    CHECK(side("\x40\x03x-a\x01v\x48\x03" "200") == 2);  // a new name, then a literal :status
    CHECK(side("\xbe\xbf") == 0);                        // only dynamic entries: not known
    CHECK(side("\x40\x7f") == 0);                        // cut
}

TEST_CASE("http2: body windows kept of streams whose request body is JSON", "[http2][genai]") {
    ServerSide x;
    as_test_genai_on = true;
    std::string ask = R"( {"model":"m-1","stream":true,"messages":[]})";
    int32_t chat = x.client.request("POST", "/v1/chat/completions", {{"content-type", "application/json"}}, ask);
    int32_t get = x.client.request("GET", "/v1/models");
    int32_t bin = x.client.request("POST", "/pkg.Svc/Get", {{"content-type", "application/grpc"}},
                                   std::string("\0\0\0\0\x02{}", 7));
    x.to_server(x.client.send());
    x.server.respond(chat, "200", {{"content-type", "text/event-stream"}},
                     "data: {\"model\":\"m-1-x\"}\n\ndata: {\"usage\":{\"prompt_tokens\":3}}\n\n");
    x.server.respond(get, "200", {}, "{}");
    x.server.respond(bin, "200", {}, "{}");
    x.to_client(x.server.send());
    as_test_genai_on = false;
    auto got = exchanges();
    REQUIRE(got.size() == 3);
    for (const auto& e : got) {
        INFO("stream " << e.stream);
        if (e.stream != uint32_t(chat)) {
            CHECK_FALSE(e.genai);  // no body, or not JSON
            continue;
        }
        REQUIRE(e.genai);
        CHECK(e.genai->call.start_ns == e.call.start_ns);
        CHECK(genai_window(*e.genai, 0) == ask);
        CHECK(genai_window(*e.genai, 1).find("prompt_tokens") != std::string::npos);
        CHECK(e.genai->first_body_ns > e.call.start_ns);
    }
    CHECK(Harness::genai_calls.empty());  // handed over at the stream's end
}
