#include <catch2/catch.hpp>

#include "bpf_harness.h"
#include "route_table.h"

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
    CHECK(t.label("svc", "/b") == apiscope::kOverflowRoute);
    CHECK(t.label("svc", "/a") == "/a");  // admitted routes stay
    CHECK(t.label("other", "/b") == "/b");  // the cap is per service
    CHECK(t.overflowed_routes() == 1);
}
