// Runs the BPF parser headers in user space: user memory is plain memory and
// the map hooks record into vectors, so tests feed real bytes to the very
// code the kernel runs.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#define AS_READ_USER(dst, len, src) (memcpy((dst), (const void*)(src), (len)), 0)
#include "http_stream.h"

struct Harness {
    static inline std::vector<as_record> records;
    static inline std::vector<std::string> routes;  // by route id - 100
    static inline std::vector<uint32_t> counters = std::vector<uint32_t>(AS_CNT_MAX);

    as_conn conn{};
    as_scratch scratch{};

    Harness() {
        records.clear();
        routes.clear();
        counters.assign(AS_CNT_MAX, 0);
    }

    // Returns as_feed's result: -1 when the first bytes are not HTTP.
    int feed(bool dir_in, const std::string& bytes, uint64_t now) {
        scratch.ubuf = reinterpret_cast<uint64_t>(bytes.data());
        scratch.n = bytes.size();
        scratch.now = now;
        scratch.dir_in = dir_in;
        return as_feed(&conn, &scratch);
    }
    void opaque(bool dir_in, uint64_t n) {
        as_feed_opaque(&conn, &scratch, dir_in ? &conn.in : &conn.out, n);
    }
    void eof(bool dir_in) { as_stream_eof(&conn, &scratch, dir_in); }
    void close(uint64_t now) {
        scratch.now = now;
        as_conn_close(&conn, &scratch);
    }
    static std::string route(const as_record& r) { return routes.at(r.route_id - 100); }
};

static __u64 as_hook_route(struct as_conn*, struct as_route* r) {
    Harness::routes.emplace_back(r->text);
    return 100 + Harness::routes.size() - 1;
}
static int as_hook_record(struct as_conn*, struct as_record* rec) {
    Harness::records.push_back(*rec);
    return 0;
}
static int as_hook_count(__u32 counter) {
    Harness::counters.at(counter)++;
    return 0;
}

// Normalise a request target through the kernel code.
inline std::string normalize(const std::string& target) {
    as_window w{};
    as_route r{};
    as_norm g{};
    size_t n = std::min(target.size(), sizeof(w.b));
    memcpy(w.b, target.data(), n);
    as_normalize_route(&w, 0, n, &r, &g);
    return r.text;
}

inline as_start parse_start(const std::string& line) {
    as_window w{};
    as_start s{};
    size_t n = std::min(line.size(), sizeof(w.b));
    memcpy(w.b, line.data(), n);
    as_parse_start(&w, n, &s);
    return s;
}
