// The exporter's share of an HTTP/2 request, with no kernel and no noise from
// other processes: nghttp2 sessions in memory make what h2load and nginx put
// on the wire (16 connections), the kernel's framer (run in user space, as the
// unit tests run it) makes the ring records, and these are read as the
// exporter reads them. Printed side by side: nghttp2's inflater alone over
// the same header blocks (the floor of any HPACK decoding), the tracker
// (blocks put together, decoded, streams matched), and the whole collector
// (series, routes, labels).
//
// Two servers: nghttp2's, whose later responses refer to the table, and
// nginx's, which adds every field to it anew (the date changing each second:
// here every 100 requests).
//
// usage: bench_h2_exporter_cost [requests per connection] [nghttp2|nginx]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "bpf_harness.h"
#include "h2_peer.h"
#include "http2/h2_collector.h"

using namespace apiscope;

namespace {

constexpr int kConns = 16;

double ns_per(size_t n, std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / n;
}

// nginx's answer to GET /ok as it puts it on the wire: every field but
// :status added to the table, none ever referred to, the date new each second.
std::string nginx_response(int32_t stream, int second) {
    static const std::string server("\x76\x89\xaa\x63\x55\xe5\x80\xae\x21\x2e\x1f", 11);  // nginx/1.22.1
    std::string date = "Sun, 06 Dec 2026 06:" + std::to_string(10 + second / 60) + ":" +
                       std::to_string(10 + second % 60) + " GMT";  // plain here, Huffman-coded by nginx
    std::string block = "\x88" + server + "\x61" + char(date.size()) + date +
                        std::string("\x5f\x87\x49\x7c\xa5\x8a\xe8\x19\xaa\x5c\x01\x33", 12);
    auto frame = [stream](uint8_t type, uint8_t flags, const std::string& payload) {
        std::string f;
        for (int shift : {16, 8, 0}) f += static_cast<char>(payload.size() >> shift);
        f += static_cast<char>(type);
        f += static_cast<char>(flags);
        for (int shift : {24, 16, 8, 0}) f += static_cast<char>(stream >> shift);
        return f + payload;
    };
    return frame(1, 0x4, block) + frame(0, 0x1, "ok\n");
}

}  // namespace

int main(int argc, char** argv) {
    int per_conn = argc > 1 ? atoi(argv[1]) : 20000;
    bool nginx = argc > 2 && std::string(argv[2]) == "nginx";
    std::vector<std::string> ring;
    std::vector<std::pair<bool, std::string>> blocks;  // (read, bytes) of every header block, for the floor
    for (int c = 0; c < kConns; c++) {
        Harness h;
        h.conn.id = 100 + c;
        h.scratch.key = {1, static_cast<uint32_t>(10 + c)};
        H2Peer client(false), server(true);
        uint64_t t = 1000;
        for (int i = 0; i < per_conn; i++) {
            int32_t id = client.request("GET", "/ok", {{"user-agent", "h2load nghttp2/1.52.0"}});
            std::string in = client.send();
            h.feed(true, in, t += 1000);
            std::string out;
            if (nginx) {
                if (i == 0) out = std::string("\0\0\0\x04\0\0\0\0\0\0\0\0\x04\x01\0\0\0\0", 18);  // SETTINGS, ACK
                out += nginx_response(id, i / 100);
            } else {
                server.recv(in);
                server.respond(id, "200", {{"server", "nginx/1.22.1"}, {"date", "Sun, 06 Dec 2026 06:00:00 GMT"},
                                          {"content-type", "text/plain"}, {"content-length", "3"}}, "ok\n");
                out = server.send();
            }
            h.feed(false, out, t += 1000);
            client.recv(out);
        }
        for (const auto& b : Harness::h2_blocks) blocks.push_back({(b.flags & AS_H2R_IN) != 0, b.bytes});
        ring.insert(ring.end(), Harness::h2_ring.begin(), Harness::h2_ring.end());
    }
    size_t requests = static_cast<size_t>(kConns) * per_conn;

    // the floor: nghttp2's inflater over each connection's blocks, one per direction
    auto t0 = std::chrono::steady_clock::now();
    size_t fields = 0;
    for (int c = 0; c < kConns; c++) {
        nghttp2_hd_inflater* inf[2];
        nghttp2_hd_inflate_new(&inf[0]);
        nghttp2_hd_inflate_new(&inf[1]);
        for (size_t b = c * 2 * per_conn; b < (c + 1) * 2 * static_cast<size_t>(per_conn); b++) {
            auto* p = reinterpret_cast<const uint8_t*>(blocks[b].second.data());
            size_t left = blocks[b].second.size();
            nghttp2_hd_inflater* d = inf[blocks[b].first];
            for (;;) {
                nghttp2_nv nv;
                int flags = 0;
                ssize_t rv = nghttp2_hd_inflate_hd2(d, &nv, &flags, p, left, 1);
                if (rv < 0) return 1;
                p += rv;
                left -= rv;
                fields += (flags & NGHTTP2_HD_INFLATE_EMIT) != 0;
                if (flags & NGHTTP2_HD_INFLATE_FINAL) {
                    nghttp2_hd_inflate_end_headers(d);
                    break;
                }
            }
        }
        nghttp2_hd_inflate_del(inf[0]);
        nghttp2_hd_inflate_del(inf[1]);
    }
    double floor = ns_per(requests, t0);

    size_t done = 0;
    t0 = std::chrono::steady_clock::now();
    {
        H2Tracker t(kConns, 65536, [&](H2Exchange&&) { done++; }, {},
                    {":method", ":path", ":status", "content-type", "grpc-status"});
        for (const auto& r : ring) t.record(r.data(), r.size());
    }
    double tracker = ns_per(requests, t0);

    Config cfg;
    RouteTable routes(cfg.route_templates, cfg.routes_max_per_service);
    UserSeries series(cfg);
    t0 = std::chrono::steady_clock::now();
    {
        H2Collector collector(nullptr, cfg, routes, series);
        collector.records(ring);
    }
    double whole = ns_per(requests, t0);

    printf("%s server: %zu requests on %d connections, %zu header fields, %zu ring records (%zu exchanges)\n",
           nginx ? "nginx" : "nghttp2", requests,
           kConns, fields, ring.size(), done);
    printf("| step | ns/request | vs nghttp2's inflater alone |\n| --- | --- | --- |\n");
    printf("| nghttp2 inflater, every field | %.0f | 1.00 |\n", floor);
    printf("| tracker (wanted fields decoded, streams matched) | %.0f | %.2f |\n", tracker, tracker / floor);
    printf("| whole collector (series, routes) | %.0f | %.2f |\n", whole, whole / floor);
    return done == requests ? 0 : 1;
}
