#include <catch2/catch.hpp>

#include <map>
#include <optional>

#include "bpf_harness.h"
#include "metrics/route_table.h"

TEST_CASE("kernel route normalisation", "[routes]") {
    CHECK(normalize("/") == "/");
    CHECK(normalize("/api/users") == "/api/users");
    CHECK(normalize("/api/users/42") == "/api/users/{id}");
    CHECK(normalize("/api/users/42/orders/7?expand=1#x") == "/api/users/{id}/orders/{id}");
    CHECK(normalize("/items/550e8400-e29b-41d4-a716-446655440000") == "/items/{id}");
    CHECK(normalize("/blobs/9f86d081884c7d659a2feaa0c55ad015") == "/blobs/{id}");
    CHECK(normalize("/t/eyJhbGciOiJIUzI1NiJ9x") == "/t/{id}");
    CHECK(normalize("/v1/chat/completions") == "/v1/chat/completions");
    CHECK(normalize("/static/app.js") == "/static/app.js");
    CHECK(normalize("/words/supercalifragilisticexpialidocious") ==
          "/words/supercalifragilisticexpialidocious");  // long, but no digit
    CHECK(normalize("/deadbeefdeadbeef") == "/deadbeefdeadbeef");  // hex but no digit
    CHECK(normalize("http://example.com:8080/a/1?q") == "/a/{id}");
    CHECK(normalize("*") == "*");
    CHECK(normalize("/trailing/") == "/trailing/");
    CHECK(normalize("?only=query") == "/");
}

TEST_CASE("the byte classes of route normalisation are their definitions", "[routes]") {
    for (unsigned c = 0; c < 256; c++) {
        bool digit = c >= '0' && c <= '9', alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        bool hex = digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        unsigned want = (digit ? AS_UC_DIGIT : 0) | (hex ? AS_UC_HEX : 0) |
                        (digit || alpha || c == '-' || c == '_' || c == '+' || c == '=' ? AS_UC_B64 : 0) |
                        (alpha ? AS_UC_ALPHA : 0) | (c == '-' ? AS_UC_DASH : 0) | (c == '/' ? AS_UC_SLASH : 0) |
                        (c == '?' || c == '#' ? AS_UC_END : 0) | (hex || c == '-' ? AS_UC_HEXDASH : 0);
        INFO("byte " << c);
        CHECK(as_url_class_of(c) == want);
    }
}

TEST_CASE("ids across the eight-byte steps, and what is not an id", "[routes]") {
    // segments that start, end and change class at every offset of a step
    for (int pad = 0; pad < 9; pad++) {
        std::string pre = "/" + std::string(pad, 'x');
        CHECK(normalize(pre + "/12345678901/y") == pre + "/{id}/y");
        CHECK(normalize(pre + "/550e8400-e29b-41d4-a716-446655440000/z") == pre + "/{id}/z");
        // a UUID of digits only is an id by the UUID rule alone; misplaced dashes are not
        CHECK(normalize(pre + "/12345678-1234-1234-1234-123456789012/z") == pre + "/{id}/z");
        CHECK(normalize(pre + "/1234567-81234-1234-1234-123456789012") == pre + "/1234567-81234-1234-1234-123456789012");
        CHECK(normalize(pre + "/12345678-1234-1234-1234-12345678901-") == pre + "/12345678-1234-1234-1234-12345678901-");
        CHECK(normalize(pre + "/9f86d081884c7d65?q=1") == pre + "/{id}");
        CHECK(normalize(pre + "/9f86d081884c7d6") == pre + "/9f86d081884c7d6");  // 15 hex chars
        CHECK(normalize(pre + "/abc_DEF-ghi+jkl=mn12") == pre + "/{id}");          // 20 base64 chars
        CHECK(normalize(pre + "/abc_DEF-ghi+jkl=mno1") == pre + "/{id}");
        CHECK(normalize(pre + "/abc_DEF-ghi+jkl=mn1") == pre + "/abc_DEF-ghi+jkl=mn1");    // 19
        CHECK(normalize(pre + "/abc_DEF-ghi+jkl=mnop") == pre + "/abc_DEF-ghi+jkl=mnop");  // no digit
        CHECK(normalize(pre + "/12a") == pre + "/12a");
    }
    CHECK(normalize("/------------------------------------") == "/------------------------------------");
    CHECK(normalize("https://api.example.com") == "/");
    CHECK(normalize("https://api.example.com/v1/42#frag") == "/v1/{id}");
}

TEST_CASE("a route's hash covers its text up to the NUL, not what a longer route left after it", "[routes]") {
    auto hash_of = [](const std::string& target) {
        as_window w{};
        as_route r{};
        as_norm g{};
        memcpy(w.b, target.data(), target.size());
        as_normalize_route(&w, 0, target.size(), &r, &g);
        return as_route_hash(&r);
    };
    as_route clean{};
    memcpy(clean.text, "/a/{id}", 7);
    // "/a/1234567890123" becomes "/a/{id}" over the digits, which stay after its NUL
    CHECK(hash_of("/a/1234567890123") == as_route_hash(&clean));
    CHECK(hash_of("/a/1") == as_route_hash(&clean));
    CHECK(hash_of("/a/b") != as_route_hash(&clean));
    CHECK(hash_of("/users") != hash_of("/users/"));
    CHECK(hash_of("/abcdefgh") != hash_of("/abcdefg"));  // a word's last byte counts
    CHECK(as_route_hash(&clean) >= 16);                    // ids below 16 are reserved
}

TEST_CASE("long routes are cut at 127 bytes, never overflow", "[routes]") {
    std::string p = "/" + std::string(300, 'a');
    auto r = normalize(p);
    CHECK(r.size() == AS_ROUTE_LEN - 1);
    std::string ids;
    for (int i = 0; i < 80; i++) ids += "/" + std::to_string(i);
    r = normalize(ids);
    CHECK(r.size() <= AS_ROUTE_LEN - 1);
    CHECK(r.rfind("/{id}/{id}", 0) == 0);
}

TEST_CASE("templates and the per-service cap", "[routes]") {
    apiscope::RouteTable t({"/api/users/{name}", "/v1/chat/completions"}, 2);
    CHECK(t.apply_templates("/api/users/alice") == "/api/users/{name}");
    CHECK(t.apply_templates("/api/users/{id}") == "/api/users/{name}");
    CHECK(t.apply_templates("/api/users/alice/x") == "/api/users/alice/x");
    CHECK(t.label("svc", "/api/users/bob") == "/api/users/{name}");
    CHECK(t.label("svc", "/a") == "/a");
    CHECK(t.label("svc", "/b") == apiscope::kOther);
    CHECK(t.label("svc", "/a") == "/a");  // admitted routes stay
    CHECK(t.label("other", "/b") == "/b");  // the cap is per service
    CHECK(t.overflowed_routes() == 1);
}

TEST_CASE("route ids: one table names them for the metrics and the log alike", "[routes]") {
    std::map<uint64_t, std::string> kernel = {{101, "/a/{id}"}, {102, "/b"}, {103, "/c"}};
    int lookups = 0;
    apiscope::RouteTable t({"/a/{x}"}, 2, [&](uint64_t id) -> std::optional<std::string> {
        lookups++;
        auto it = kernel.find(id);
        if (it == kernel.end()) return std::nullopt;
        return it->second;
    });
    CHECK(t.label("svc", 101) == "/a/{x}");  // the text, then the templates
    CHECK(t.label("svc", 102) == "/b");
    CHECK(t.label("svc", 103) == apiscope::kOther);  // past the cap, wherever it is asked from
    CHECK(t.label("svc", 103) == apiscope::kOther);
    CHECK(t.label("svc", "/c") == apiscope::kOther);
    CHECK(t.label("svc", AS_ROUTE_ID_OVERFLOW) == apiscope::kOther);
    CHECK(t.label("svc", 999) == apiscope::kOther);  // an id the kernel does not know
    CHECK(lookups == 4);  // each known id's text read once
    CHECK(t.overflowed_routes() == 1);
}

TEST_CASE("value cap: the first values of a scope keep their name", "[labels]") {
    apiscope::ValueCap cap(2);
    CHECK(cap.admit("a", "x") == "x");
    CHECK(cap.admit("a", "") == "");
    CHECK(cap.admit("a", "y") == "y");
    CHECK(cap.admit("a", "z") == apiscope::kOther);
    CHECK(cap.admit("a", "x") == "x");
    CHECK(cap.admit("b", "z") == "z");
}
