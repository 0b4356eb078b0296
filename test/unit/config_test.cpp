#include <catch2/catch.hpp>

#include "config/config.h"

using namespace apiscope;

TEST_CASE("defaults are valid", "[config]") {
    Config c;
    REQUIRE_NOTHROW(validate(c));
    CHECK(c.listen_address == ":9478");
    CHECK(c.routes_max_per_service == 1000);
    CHECK(c.duration_buckets.size() == 14);
}

TEST_CASE("YAML keys map onto the struct", "[config]") {
    auto c = load_config_yaml(R"(
web: {listen_address: "127.0.0.1:9999", telemetry_path: /m}
service_name: api
targets: {pids: [1], comms: [nginx], ports: [8080], cgroups: [/x]}
routes: {max_per_service: 50, templates: ["/u/{id}"]}
histograms: {duration_seconds: [0.1, 1], body_size_bytes: [10, 100]}
maps: {connections: 1024, series: 2048, routes: 512}
bpf_stats: false
)", "t");
    CHECK(c.listen_address == "127.0.0.1:9999");
    CHECK(c.telemetry_path == "/m");
    CHECK(c.service_name == "api");
    CHECK(c.targets.ports == std::vector<uint16_t>{8080});
    CHECK(c.routes_max_per_service == 50);
    CHECK(c.duration_buckets == std::vector<double>{0.1, 1});
    CHECK(c.maps.series == 2048);
    CHECK_FALSE(c.bpf_stats);
    CHECK_NOTHROW(validate(c));
}

TEST_CASE("bad keys and values name the key", "[config]") {
    auto msg = [](const std::string& yaml) {
        try {
            validate(load_config_yaml(yaml, "t"));
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK_THAT(msg("routes: {max_per_servce: 3}"), Catch::Contains("routes.max_per_servce: unknown key"));
    CHECK_THAT(msg("routes: {max_per_service: 0}"), Catch::Contains("routes.max_per_service: must be 1-100000"));
    CHECK_THAT(msg("routes: {max_per_service: lots}"), Catch::Contains("routes.max_per_service: has the wrong type"));
    CHECK_THAT(msg("histograms: {duration_seconds: [1, 0.5]}"), Catch::Contains("increase strictly"));
    CHECK_THAT(msg("targets: {ports: [70000]}"), Catch::Contains("targets.ports"));
    CHECK_THAT(msg("targets: {comms: [a-very-long-process-name]}"), Catch::Contains("1-15 characters"));
    CHECK_THAT(msg("web: {listen_address: nonsense}"), Catch::Contains("web.listen_address"));
    CHECK_THAT(msg("web: {telemetry_path: /healthz}"), Catch::Contains("web.telemetry_path"));
    CHECK_THAT(msg("maps: {series: 1}"), Catch::Contains("maps.series"));
    CHECK_THAT(msg("{"), Catch::Contains("not valid YAML"));
    CHECK(msg("") == "no error");
}

TEST_CASE("listen addresses", "[config]") {
    CHECK(parse_listen_address(":9478").host.empty());
    CHECK(parse_listen_address(":9478").port == 9478);
    CHECK(parse_listen_address("[::1]:80").host == "::1");
    CHECK(parse_listen_address("127.0.0.1:0").port == 0);
    CHECK_THROWS_AS(parse_listen_address("9478"), ConfigError);
}

TEST_CASE("YAML shapes found by fuzzing are config errors, not crashes", "[config]") {
    // fuzz_config crashes: a key that is itself a collection
    for (const char* yaml : {"targets: {comms:,[nginx], ports: [4040]}\n",
                             "headers:\n  request: [X-Request-Id, {name: X-Tenan true}]\n",
                             "{[a]: 1}\n", "routes: {? [x] : 1}\n"}) {
        INFO(yaml);
        CHECK_THROWS_AS(validate(load_config_yaml(yaml, "t")), ConfigError);
    }
}
