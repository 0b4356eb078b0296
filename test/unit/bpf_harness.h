// The kernel's parsers in user space, as a third environment of
// ebpf/parser_env.h: user memory is plain memory, the per-connection map
// entries live in std::maps, and the hooks record what the kernel's would
// count, through the same code (ebpf/record.h, ebpf/log_record.h). Tests feed
// real bytes to the very code the kernel runs.
#pragma once

#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "apiscope_shared.h"

// What the kernel has in rodata; tests set it with capture().
inline as_capture_cfg as_test_capture{};
inline bool as_test_capture_on = false;
inline bool as_test_genai_on = false;
struct as_hdr_vals;
struct as_scratch;
struct as_h2_stream;
struct as_conn;
static as_hdr_vals* harness_cap(as_scratch* s, unsigned slot, bool start, __u64 start_ns = 0);
static as_partial* harness_partial(as_scratch* s, bool create);
static as_genai_call* harness_genai(unsigned slot, __u64 start_ns, bool create);
inline bool as_test_h2_on = false;
static as_h2_stream* harness_h2_spill(const as_conn* c, unsigned stream, bool create);
static int harness_h2_unspill(unsigned stream);
struct as_h2_rec;
static std::string harness_h2_held(as_conn* c, as_h2_rec* hdr);

#define AS_CAPTURE_CFG as_test_capture
#define AS_CAPTURE_ON as_test_capture_on
#define AS_CAP_START(s, slot, start_ns) harness_cap((s), (slot), true, (start_ns))
#define AS_CAP_FIND(s, slot) harness_cap((s), (slot), false)
#define AS_PARTIAL_GET(s, create) harness_partial((s), (create))
#define AS_GENAI_ON as_test_genai_on
#define AS_GENAI_GET(s, slot, start_ns, create) harness_genai((slot), (start_ns), (create))
#define AS_H2_ON as_test_h2_on
#define AS_H2_SPILL(c, s, stream, create) harness_h2_spill((c), (stream), (create))
#define AS_H2_UNSPILL(c, s, stream) harness_h2_unspill(stream)
#include "user_env.h"  // AS_READ_USER: plain memory
#include "genai_window.h"
#include "h2_record.h"
#include "conn_feed.h"
#include "log_record.h"
#include "record.h"

// Header names per direction; the value_max of the config. Mirrors what the
// exporter writes into rodata (see exporter/bpf/capture_rodata.cpp).
inline void capture(const std::vector<std::string>& req, const std::vector<std::string>& resp,
                    unsigned value_max = 64, const std::vector<std::string>& presence_only = {},
                    bool include_query = false) {
    as_test_capture = {};
    for (int dir = 0; dir < 2; dir++) {
        const auto& names = dir ? resp : req;
        for (size_t k = 0; k < names.size(); k++) {
            auto& h = as_test_capture.hdr[dir][k];
            for (size_t j = 0; j < names[k].size(); j++) h.name[j] = tolower(names[k][j]);
            h.len = names[k].size();
            for (const auto& p : presence_only)
                if (p == names[k]) h.flags |= AS_HDR_PRESENCE_ONLY;
            as_test_capture.first_chars[dir] |= 1ULL << (h.name[0] & 63);
        }
        as_test_capture.n[dir] = names.size();
    }
    as_test_capture.value_max = value_max;
    as_test_capture.include_query = include_query;
    as_test_capture_on = !req.empty() || !resp.empty();
}

// What the HTTP/2 hooks handed over.
struct H2Block {
    uint32_t stream, flags;
    std::string bytes;
};
struct H2End {
    uint32_t stream, why;
    as_h2_stream st;
    uint64_t now;
};

// A captured message as the record hook saw it.
struct Captured {
    std::map<std::string, std::string> headers;  // by lowercase name
    std::map<std::string, bool> truncated;
    std::string path;
    bool path_truncated = false;
};

struct Harness {
    static inline std::map<unsigned, as_hdr_vals> caps;  // by slot
    static inline std::map<unsigned, as_partial> partials;  // by direction
    static inline std::vector<std::optional<Captured>> req_caps, resp_caps;  // per record
    static inline std::vector<as_record> records;
    static inline std::vector<as_metric_key> keys;  // per record: the series it counts under
    static inline std::vector<std::vector<uint8_t>> logs;  // per record, with capture on: the packed log record
    static inline std::vector<std::string> routes;  // by route id - 100
    static inline std::vector<uint32_t> counters = std::vector<uint32_t>(AS_CNT_MAX);
    static inline std::map<std::string, uint8_t> genai_routes;        // route -> kind
    static inline as_genai_hdrs genai_hdrs{{AS_MAX_HDRS, AS_MAX_HDRS}, AS_MAX_HDRS, {}};  // MCP headers' indexes
    static inline std::map<unsigned, as_genai_call> genai_calls;      // by slot
    static inline std::vector<std::optional<as_genai_call>> genai;    // per record
    static inline std::map<uint32_t, as_h2_spilled> h2_spill;  // streams past the connection's slots, by id
    static inline std::vector<H2Block> h2_blocks;
    static inline std::vector<H2End> h2_ends;
    static inline std::vector<std::string> h2_ring;  // the records, as the kernel's ring holds them

    as_conn conn{};
    as_scratch scratch{};

    Harness() {
        as_test_capture = {};
        as_test_capture_on = false;
        caps.clear();
        partials.clear();
        req_caps.clear();
        resp_caps.clear();
        records.clear();
        keys.clear();
        logs.clear();
        routes.clear();
        counters.assign(AS_CNT_MAX, 0);
        as_test_genai_on = false;
        genai_routes.clear();
        genai_hdrs = {{AS_MAX_HDRS, AS_MAX_HDRS}, AS_MAX_HDRS, {}};
        genai_calls.clear();
        genai.clear();
        as_test_h2_on = true;
        h2_spill.clear();
        h2_blocks.clear();
        h2_ends.clear();
        h2_ring.clear();
        conn.id = 7;
    }
    // As the kernel's first look does for HTTP/2 frames seen with no preface.
    void h2_midstream() { as_h2_begin(&conn, AS_ROLE_UNKNOWN, 1); }

    // Returns as_feed's result: -1 when the first bytes are not HTTP.
    int feed(bool dir_in, const std::string& bytes, uint64_t now) {
        scratch.ubuf = reinterpret_cast<uint64_t>(bytes.data());
        scratch.n = bytes.size();
        scratch.now = now;
        scratch.dir_in = dir_in;
        return as_feed(&conn, &scratch);
    }
    void opaque(bool dir_in, uint64_t n) {
        as_feed_opaque(&conn, &scratch, dir_in, n);
    }
    void eof(bool dir_in) { as_feed_eof(&conn, &scratch, dir_in); }
    // as the close program does: as_conn_close only while something is in flight
    void close(uint64_t now) {
        scratch.now = now;
        if (as_conn_in_flight(&conn)) as_conn_close(&conn, &scratch);
        if (conn.proto == AS_PROTO_H2) {  // as the kernel's as_conn_forget
            as_h2_end e;
            as_h2_end_fill(&e, &conn, &scratch.key, now, nullptr, 0, 0);
            std::string held = harness_h2_held(&conn, &e.h);
            h2_ring.push_back(std::string(reinterpret_cast<const char*>(&e), sizeof(e)) + held);
            conn.id++;  // the kernel forgets the connection: bytes after are a later one's
        }
    }
    static std::string route(const as_record& r) { return routes.at(r.route_id - 100); }
};

static __u64 as_hook_route(struct as_conn*, struct as_scratch* s) {
    const as_route* r = &s->r;
    auto g = Harness::genai_routes.find(r->text);
    if (g != Harness::genai_routes.end()) s->genai = g->second;
    Harness::routes.emplace_back(r->text);
    return 100 + Harness::routes.size() - 1;
}

// The map entries, as the kernel's (kernel_env.bpf.h): stale bytes are left
// in a reused entry, so only its lengths and bits may gate them.
static as_hdr_vals* harness_cap(as_scratch*, unsigned slot, bool start, __u64 start_ns) {
    if (start) {
        auto& c = Harness::caps[slot];
        memset(&c, 0xAA, sizeof(c));
        as_cap_reset(&c, start_ns);
        return &c;
    }
    auto it = Harness::caps.find(slot);
    return it == Harness::caps.end() ? nullptr : &it->second;
}

static as_genai_call* harness_genai(unsigned slot, __u64 start_ns, bool create) {
    auto it = Harness::genai_calls.find(slot);
    if (it != Harness::genai_calls.end() && it->second.call.start_ns == start_ns) return &it->second;
    if (!create) return nullptr;
    auto& g = Harness::genai_calls[slot];
    memset(&g, 0xAA, sizeof(g));
    as_genai_reset(&g, start_ns);
    return &g;
}

// As the kernel's h2_streams map: a made entry keeps stale bytes.
static as_h2_stream* harness_h2_spill(const as_conn* c, unsigned stream, bool create) {
    auto it = Harness::h2_spill.find(stream);
    if (it != Harness::h2_spill.end() && it->second.conn == c->id) return &it->second.st;
    if (!create) return nullptr;
    auto& v = Harness::h2_spill[stream];
    memset(&v, 0xAA, sizeof(v));
    v.conn = c->id;
    return &v.st;
}
static int harness_h2_unspill(unsigned stream) { return Harness::h2_spill.erase(stream); }

// The kernel's HTTP/2 hooks (h2_handoff.bpf.h) with a vector for a ring.
// The blocks held in c, as the kernel puts them after a record (hdr's len
// set); h2_blocks has them in the order the exporter reads them.
static std::string harness_h2_held(as_conn* c, as_h2_rec* hdr) {
    std::string out(reinterpret_cast<const char*>(c->h2_held), sizeof(c->h2_held));
    for (unsigned i = 0; i < c->h2_nheld; i++) {
        const as_h2_held& h = c->h2_held[i];
        Harness::h2_blocks.push_back({h.stream, h.flags, std::string(reinterpret_cast<const char*>(h.b), h.len)});
    }
    hdr->len = c->h2_nheld * sizeof(as_h2_held);
    c->h2_nheld = 0;
    return out;
}

static int as_hook_h2_held(struct as_conn* c, struct as_scratch* s) {
    as_h2_rec r;
    as_h2_rec_fill(&r, c, &s->key, s->now, 0, AS_H2R_HELD, 0);
    std::string held = harness_h2_held(c, &r);
    Harness::h2_ring.push_back(std::string(reinterpret_cast<const char*>(&r), sizeof(r)) + held);
    return 0;
}

static int as_hook_h2_block(struct as_conn* c, struct as_scratch* s, __u32 off, __u32 len, __u32 flags) {
    std::string bytes(reinterpret_cast<const char*>(s->ubuf + off), len);
    uint32_t stream = c->h2[s->dir_in & 1].stream;
    Harness::h2_blocks.push_back({stream, flags, bytes});
    as_h2_rec r;
    as_h2_rec_fill(&r, c, &s->key, s->now, stream, AS_H2R_BLOCK, flags);
    r.len = len;
    Harness::h2_ring.push_back(std::string(reinterpret_cast<const char*>(&r), sizeof(r)) + bytes);
    return 0;
}

static int as_hook_h2_body(struct as_conn* c, struct as_scratch* s, __u32 off, __u32 len) {
    return as_h2_body(c, s, off, len);
}

static int as_hook_h2_end(struct as_conn* c, struct as_scratch* s, struct as_h2_stream* st, __u32 stream, __u32 why) {
    Harness::h2_ends.push_back({stream, why, *st, s->now});
    if (st->genai == AS_H2_GENAI_KEPT)
        if (auto* g = harness_genai(AS_GENAI_H2_SLOT | stream, st->req_ns, false)) {
            if (c->h2_nheld) as_hook_h2_held(c, s);
            as_h2_rec r;
            as_h2_rec_fill(&r, c, &s->key, s->now, stream, AS_H2R_GENAI, 0);
            Harness::h2_ring.push_back(std::string(reinterpret_cast<const char*>(&r), sizeof(r)) +
                                       std::string(reinterpret_cast<const char*>(g), sizeof(*g)));
            Harness::genai_calls.erase(AS_GENAI_H2_SLOT | stream);
        }
    as_h2_end e;
    as_h2_end_fill(&e, c, &s->key, s->now, st, stream, why);
    std::string held = c->h2_nheld ? harness_h2_held(c, &e.h) : "";
    Harness::h2_ring.push_back(std::string(reinterpret_cast<const char*>(&e), sizeof(e)) + held);
    return 0;
}

static as_partial* harness_partial(as_scratch* s, bool create) {
    auto it = Harness::partials.find(s->dir_in);
    if (it != Harness::partials.end()) return &it->second;
    return create ? &Harness::partials[s->dir_in] : nullptr;
}

static int as_hook_body(struct as_conn* c, struct as_scratch* s, __u32 off, __u32 len) {
    return as_genai_feed(c, s, off, len);
}

// Decode a capture the way the exporter does: only headers marked present.
inline std::optional<Captured> decode_capture(const as_hdr_vals* v, int dir) {
    if (!v) return std::nullopt;
    Captured c;
    for (unsigned k = 0; k < as_test_capture.n[dir]; k++) {
        if (!(v->present & (1u << k))) continue;
        std::string name(as_test_capture.hdr[dir][k].name, as_test_capture.hdr[dir][k].len);
        bool presence_only = as_test_capture.hdr[dir][k].flags & AS_HDR_PRESENCE_ONLY;
        c.headers[name] = presence_only ? "<present>" : std::string(v->val[k], v->len[k]);
        c.truncated[name] = v->truncated & (1u << k);
    }
    if (dir == 0) {
        c.path.assign(v->path, v->path_len);
        c.path_truncated = v->path_trunc;
    }
    return c;
}

// The kernel's as_hook_record (ebpf/record.bpf.h) without its maps: the same
// captures, key, LLM/MCP hand-off and log record, kept for the tests.
static int as_hook_record(struct as_conn* c, struct as_scratch* s) {
    const as_record& rec = s->rec;
    as_hdr_vals* req = as_cap_of(s, rec.slot & (AS_PIPELINE - 1), rec.start_ns);
    as_hdr_vals* resp = as_cap_of(s, AS_CAP_SLOT_RESP, rec.resp_start_ns);
    as_metric_key key{};
    as_metric_key_fill(&key, c, &rec);
    Harness::records.push_back(rec);
    Harness::keys.push_back(key);
    Harness::req_caps.push_back(decode_capture(req, 0));
    Harness::resp_caps.push_back(decode_capture(resp, 1));
    std::optional<as_genai_call> g;
    if (rec.genai) {
        as_genai_call* call = harness_genai(rec.slot & (AS_PIPELINE - 1), rec.start_ns, true);
        as_genai_finish(call, c, s, req, resp, &Harness::genai_hdrs);
        g = *call;
        Harness::genai_calls.erase(rec.slot & (AS_PIPELINE - 1));
    }
    Harness::genai.push_back(g);
    if (AS_CAPTURE_ON) {
        static as_log_rec r;
        as_call_fill(&r.call, c, s);
        r.bytes = 0;
        r.has_req = req && !as_log_pack(&r, req, 0);
        r.has_resp = resp && !as_log_pack(&r, resp, 1);
        auto* p = reinterpret_cast<const uint8_t*>(&r);
        Harness::logs.emplace_back(p, p + AS_LOG_HEAD + r.bytes);
    }
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
