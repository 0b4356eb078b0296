// HTTP/2 requests counted by the collector: nghttp2's client and server make
// the traffic, the kernel's framer the ring records, and the series must hold
// exactly what was sent, however often alike requests repeat.
#include <catch2/catch.hpp>

#include "bpf_harness.h"
#include "h2_peer.h"
#include "http2/h2_collector.h"

using namespace apiscope;

namespace {

struct Sent {
    std::string method, path, status;
};

// Each request answered before the next, on one connection, as the server
// side sees it; returns the server's series.
SeriesMap count(const Config& cfg, const std::vector<Sent>& sent, uint64_t* dropped = nullptr) {
    Harness h;
    H2Peer client(false), server(true);
    uint64_t t = 1000;
    for (const auto& s : sent) {
        int32_t id = client.request(s.method, s.path, {{"user-agent", "test/1"}});
        std::string in = client.send();
        h.feed(true, in, t += 1000);
        server.recv(in);
        server.respond(id, s.status, {{"content-type", "text/plain"}}, "ok\n");
        std::string out = server.send();
        h.feed(false, out, t += 1000);
        client.recv(out);
    }
    RouteTable routes(cfg.route_templates, cfg.routes_max_per_service);
    UserSeries series(cfg);
    {
        H2Collector collector(nullptr, cfg, routes, series);
        collector.records(Harness::h2_ring);
    }
    SeriesMap server_side, client_side;
    series.merge_into(server_side, client_side);
    CHECK(client_side.empty());
    if (dropped) *dropped = series.dropped();
    return server_side;
}

uint64_t requests(const SeriesMap& m, const std::string& method, const std::string& route, const std::string& status) {
    uint64_t n = 0;
    for (const auto& [labels, agg] : m)
        if (labels.at(1) == method && labels.at(2) == route && labels.at(3) == status) n += agg.count;
    return n;
}

}  // namespace

TEST_CASE("http2 series: alike requests counted exactly, in the series of their own labels", "[http2]") {
    Config cfg;
    cfg.service_name = "api";
    std::vector<Sent> sent;
    std::map<std::tuple<std::string, std::string, std::string>, uint64_t> expect;
    for (int i = 0; i < 120; i++) {
        Sent s{i % 4 ? "GET" : "POST", i % 3 ? "/health" : "/users/" + std::to_string(i), i % 5 ? "200" : "404"};
        expect[{s.method, i % 3 ? "/health" : "/users/{id}", s.status}]++;
        sent.push_back(s);
    }
    SeriesMap got = count(cfg, sent);
    CHECK(got.size() == expect.size());
    for (const auto& [k, n] : expect) {
        auto [method, route, status] = k;
        INFO(method << " " << route << " " << status);
        CHECK(requests(got, method, route, status) == n);
    }
    for (const auto& [labels, agg] : got) {
        CHECK(labels.at(0) == "api");
        CHECK(labels.at(6) == "2");
    }
}

TEST_CASE("http2 series: past the series bound every request is counted as dropped", "[http2]") {
    Config cfg;
    cfg.service_name = "api";
    cfg.maps.series = 2;
    std::vector<Sent> sent;
    for (int i = 0; i < 30; i++) sent.push_back({"GET", i % 3 == 0 ? "/a" : i % 3 == 1 ? "/b" : "/c", "200"});
    uint64_t dropped = 0;
    SeriesMap got = count(cfg, sent, &dropped);
    CHECK(got.size() == 2);
    CHECK(requests(got, "GET", "/a", "200") == 10);
    CHECK(requests(got, "GET", "/b", "200") == 10);
    CHECK(dropped == 10);
}

TEST_CASE("http2 series: the very same decoded fields with another call go to that call's series", "[http2]") {
    // A repeated block decodes to the same list of fields, which the
    // collector recognises; what the call itself says must still count.
    Config cfg;
    cfg.service_name = "api";
    RouteTable routes(cfg.route_templates, cfg.routes_max_per_service);
    UserSeries series(cfg);
    H2Collector collector(nullptr, cfg, routes, series);
    apiscope::HeaderList request(std::vector<HeaderField>{{":method", "GET"}, {":path", "/a"}});
    apiscope::HeaderList response(std::vector<HeaderField>{{":status", "200"}});
    auto send = [&](bool client, uint8_t tls, uint8_t error, uint16_t port) {
        H2Exchange x{};
        x.call.direction = client ? AS_DIR_CLIENT : AS_DIR_SERVER;
        x.call.tls = tls;
        x.call.error = error;
        x.call.peer_port = port;
        x.call.duration_ns = 1000;
        x.request = request;
        x.response = response;
        x.request_seen = x.response_seen = true;
        collector.handle(std::move(x));
    };
    for (int i = 0; i < 3; i++) send(false, 0, 0, 0);
    send(false, 1, 0, 0);
    send(false, 0, AS_ERR_H2_RESET, 0);
    send(false, 0, 0, 0);
    send(true, 0, 0, 8080);
    send(true, 0, 0, 8081);
    send(true, 0, 0, 8080);
    SeriesMap server_side, client_side;
    series.merge_into(server_side, client_side);
    std::map<std::pair<std::string, std::string>, uint64_t> by_error_scheme;
    for (const auto& [labels, agg] : server_side) by_error_scheme[{labels.at(4), labels.at(5)}] += agg.count;
    CHECK(by_error_scheme.size() == 3);
    CHECK(by_error_scheme[{"", "http"}] == 4);
    CHECK(by_error_scheme[{"", "https"}] == 1);
    CHECK(requests(server_side, "GET", "/a", "200") == 6);
    std::map<std::string, uint64_t> by_port;
    for (const auto& [labels, agg] : client_side) by_port[labels.at(8)] += agg.count;
    CHECK(by_port == std::map<std::string, uint64_t>{{"8080", 2}, {"8081", 1}});
}
